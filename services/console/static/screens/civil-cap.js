// CAP 1.2 as civil protection's screens write it: the message built from a form as an XML
// document (the browser's XML serialiser escapes every text), areas read from GeoJSON.
export const CAP_NS = 'urn:oasis:names:tc:emergency:cap:1.2';
export const STATUSES = ['Actual', 'Exercise', 'Test', 'System'];
export const CATEGORIES = ['Met', 'Geo', 'Safety', 'Security', 'Rescue', 'Fire', 'Health', 'Env', 'Transport', 'Infra', 'CBRNE', 'Other'];
export const URGENCIES = ['Immediate', 'Expected', 'Future', 'Past', 'Unknown'];
export const SEVERITIES = ['Extreme', 'Severe', 'Moderate', 'Minor', 'Unknown'];
export const CERTAINTIES = ['Observed', 'Likely', 'Possible', 'Unlikely', 'Unknown'];
export const LANGUAGES = ['es-DO', 'en-US'];
// The admin-area scheme of the geocodes (the layer the alerts service ships and draws).
export const SCHEME = 'ISO3166-2';
// The Dominican Republic's provinces (ISO 3166-2:DO), for searching admin areas by name.
export const AREA_NAMES = {
  'DO-01': 'Distrito Nacional', 'DO-02': 'Azua', 'DO-03': 'Baoruco', 'DO-04': 'Barahona', 'DO-05': 'Dajabón',
  'DO-06': 'Duarte', 'DO-07': 'Elías Piña', 'DO-08': 'El Seibo', 'DO-09': 'Espaillat', 'DO-10': 'Independencia',
  'DO-11': 'La Altagracia', 'DO-12': 'La Romana', 'DO-13': 'La Vega', 'DO-14': 'María Trinidad Sánchez',
  'DO-15': 'Monte Cristi', 'DO-16': 'Pedernales', 'DO-17': 'Peravia', 'DO-18': 'Puerto Plata',
  'DO-19': 'Hermanas Mirabal', 'DO-20': 'Samaná', 'DO-21': 'San Cristóbal', 'DO-22': 'San Juan',
  'DO-23': 'San Pedro de Macorís', 'DO-24': 'Sánchez Ramírez', 'DO-25': 'Santiago', 'DO-26': 'Santiago Rodríguez',
  'DO-27': 'Valverde', 'DO-28': 'Monseñor Nouel', 'DO-29': 'Monte Plata', 'DO-30': 'Hato Mayor',
  'DO-31': 'San José de Ocoa', 'DO-32': 'Santo Domingo',
};

export function areaName(code) {
  return AREA_NAMES[code] ? `${code} ${AREA_NAMES[code]}` : code;
}

// CAP times: seconds and an offset, never fractions or Z (the schema's pattern).
export function capTime(date) {
  return `${date.toISOString().slice(0, 19)}+00:00`;
}

// A value of <input type="datetime-local"> (the browser's time zone) as a CAP time.
export function capTimeOfInput(value) {
  return value ? capTime(new Date(value)) : null;
}

// A CAP time as a value for <input type="datetime-local">, in the browser's time zone.
export function inputOfCapTime(value) {
  if (!value) return '';
  const date = new Date(value);
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60000);
  return local.toISOString().slice(0, 16);
}

// A fresh identifier: no spaces, commas, < or & (CAP's restricted characters).
export function newIdentifier(sender) {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').slice(0, 15);
  const clean = (sender || 'amparo').replace(/[^A-Za-z0-9.-]/g, '');
  return `${clean}-${stamp}-${crypto.randomUUID().slice(0, 8)}`;
}

// Characters XML 1.0 cannot carry at all.
const UNSAYABLE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

function text(value) {
  return value == null ? '' : String(value).replace(UNSAYABLE, '').trim();
}

// A ring of [lat, lon] points as CAP writes it: "lat,lon lat,lon …", closed.
export function capPolygon(ring) {
  const points = ring.map(([lat, lon]) => `${lat.toFixed(5)},${lon.toFixed(5)}`);
  if (points[0] !== points[points.length - 1]) points.push(points[0]);
  return points.join(' ');
}

// The outer rings of a GeoJSON document's polygons as [lat, lon] rings.
export function ringsOfGeojson(document) {
  const rings = [];
  const geometries = (doc) => {
    if (!doc || typeof doc !== 'object') return [];
    if (doc.type === 'FeatureCollection') return (doc.features || []).flatMap(geometries);
    if (doc.type === 'Feature') return geometries(doc.geometry);
    if (doc.type === 'GeometryCollection') return (doc.geometries || []).flatMap(geometries);
    return [doc];
  };
  for (const geometry of geometries(document)) {
    const polygons = geometry.type === 'Polygon' ? [geometry.coordinates]
      : geometry.type === 'MultiPolygon' ? geometry.coordinates : [];
    for (const polygon of polygons) {
      const outer = polygon[0] || [];
      if (outer.length >= 3) rings.push(outer.map(([lon, lat]) => [Number(lat), Number(lon)]));
    }
  }
  return rings;
}

// message: { identifier, sender, senderName, sent, status, msgType, references: [..], incidents: [..],
//   note, statements: [{ language, category, event, urgency, severity, certainty, onset, expires,
//   headline, description, instruction, parameters: [{name, value}],
//   areas: [{ description, polygons: [ring], geocodes: [code] }],
//   translations: [{ language, headline, description, instruction }] }] }
export function capXml(message) {
  const doc = document.implementation.createDocument(CAP_NS, 'alert', null);
  const add = (parent, name, value) => {
    const element = doc.createElementNS(CAP_NS, name);
    if (value !== undefined) element.textContent = text(value);
    parent.append(element);
    return element;
  };
  const maybe = (parent, name, value) => { if (text(value)) add(parent, name, value); };
  const alert = doc.documentElement;
  for (const name of ['identifier', 'sender', 'sent', 'status', 'msgType']) add(alert, name, message[name]);
  add(alert, 'scope', 'Public');
  maybe(alert, 'note', message.note);
  if (message.references?.length) add(alert, 'references', message.references.join(' '));
  if (message.incidents?.length) add(alert, 'incidents', message.incidents.join(' '));
  // A statement said in several languages is one <info> block per language, alike but for its words.
  const infos = (message.statements || []).flatMap((said) => [said, ...(said.translations || [])]
    .map((words) => ({ ...said, ...words, senderName: message.senderName })));
  for (const said of infos) {
    const info = add(alert, 'info');
    add(info, 'language', said.language);
    add(info, 'category', said.category);
    for (const name of ['event', 'urgency', 'severity', 'certainty']) add(info, name, said[name]);
    maybe(info, 'onset', said.onset);
    maybe(info, 'expires', said.expires);
    for (const name of ['senderName', 'headline', 'description', 'instruction']) maybe(info, name, said[name]);
    for (const p of said.parameters || []) {
      if (!text(p.name)) continue;
      const parameter = add(info, 'parameter');
      add(parameter, 'valueName', p.name);
      add(parameter, 'value', p.value);
    }
    for (const area of said.areas || []) {
      const element = add(info, 'area');
      add(element, 'areaDesc', area.description);
      for (const ring of area.polygons || []) add(element, 'polygon', capPolygon(ring));
      for (const code of area.geocodes || []) {
        const geocode = add(element, 'geocode');
        add(geocode, 'valueName', SCHEME);
        add(geocode, 'value', code);
      }
    }
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(doc)}`;
}

// Whether a point (lat, lon) lies in a GeoJSON Polygon or MultiPolygon (even-odd rule).
export function covers(geometry, lat, lon) {
  const polygons = geometry.type === 'Polygon' ? [geometry.coordinates]
    : geometry.type === 'MultiPolygon' ? geometry.coordinates : [];
  return polygons.some((polygon) => {
    let inside = false;
    for (const ring of polygon) {
      for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        const [xi, yi] = ring[i];
        const [xj, yj] = ring[j];
        if ((yi > lat) !== (yj > lat) && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
      }
    }
    return inside;
  });
}

// The options of a <select> of alerts (headline or event, sender, when sent), the chosen one kept.
export function alertOptions(alerts, chosen, escape, when) {
  return alerts.map((a) => `<option value="${escape(a.id)}"${a.id === chosen ? ' selected' : ''}>${escape(a.headline || a.event || a.id)}
    — ${escape(a.sender)}, ${escape(when(a.sent))} (${escape(a.state)})</option>`).join('');
}
