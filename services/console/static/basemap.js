// The basemap people orient by: the land, main roads and towns, drawn under the admin boundaries and
// the alerts from a file the console serves itself (services/console/basemap_build.py makes it);
// no tile server, nothing from another host. Town names show as the zoom makes room for them.
import { escape } from '/static/ui.js';

const SOURCE = '/static/basemap/do-places-roads.geojson';
const BOUNDARIES_ATTRIBUTION = 'Boundaries © <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors (ODbL)';
// Leaflet's own panes: tiles 200, overlays (boundaries, alerts) 400, markers 600, tooltips 650.
const PANES = { 'basemap-land': 210, 'basemap-roads': 220, 'basemap-towns': 230, 'basemap-labels': 450 };

function panes(map) {
  for (const [name, z] of Object.entries(PANES)) {
    if (map.getPane(name)) continue;
    const pane = map.createPane(name);
    pane.style.zIndex = String(z);
    pane.style.pointerEvents = 'none';  // a click goes to the alert, or to the drawing, beneath
  }
}

// The land: the admin areas filled, under everything; their outlines stay with the boundaries.
export function drawLand(map, boundaries) {
  panes(map);
  return L.geoJSON(boundaries, {
    pane: 'basemap-land',
    interactive: false,
    style: { stroke: false, fillColor: '#ffffff', fillOpacity: 0.7 },
  }).addTo(map);
}

function townLayers(feature) {
  const [lon, lat] = feature.geometry.coordinates;
  const { name, population, z } = feature.properties;
  const dot = L.circleMarker([lat, lon], {
    pane: 'basemap-towns', interactive: false, radius: population >= 100000 ? 4 : population >= 15000 ? 3 : 2,
    color: '#ffffff', weight: 1, fillColor: '#3d4451', fillOpacity: 1,
  });
  const label = L.marker([lat, lon], {
    pane: 'basemap-labels', interactive: false, keyboard: false,
    icon: L.divIcon({ className: `town-label${population >= 100000 ? ' city' : ''}`, html: escape(name), iconSize: null, iconAnchor: [-5, 8] }),
  });
  return { dot, label, z };
}

// A town's dot shows one zoom before its name; both from the zoom the file gives it (z).
function showTowns(map, towns, layer) {
  const zoom = map.getZoom();
  for (const town of towns) {
    for (const [part, from] of [[town.dot, town.z - 1], [town.label, town.z]]) {
      if (zoom >= from && !layer.hasLayer(part)) layer.addLayer(part);
      else if (zoom < from && layer.hasLayer(part)) layer.removeLayer(part);
    }
  }
}

export async function drawBasemap(map) {
  panes(map);
  map.attributionControl.addAttribution(BOUNDARIES_ATTRIBUTION);
  const response = await fetch(SOURCE).catch(() => null);
  if (!response || !response.ok) return;
  const basemap = await response.json();
  const lines = basemap.features.filter((f) => f.geometry.type !== 'Point');
  L.geoJSON(lines, {
    pane: 'basemap-roads',
    interactive: false,
    style: (f) => (f.properties.kind === 'major' ? { color: '#c98b4a', weight: 1.6, opacity: 0.9 } : { color: '#b3a58f', weight: 1, opacity: 0.8 }),
  }).addTo(map);
  const towns = basemap.features.filter((f) => f.geometry.type === 'Point').map(townLayers);
  const layer = L.layerGroup().addTo(map);
  showTowns(map, towns, layer);
  map.on('zoomend', () => showTowns(map, towns, layer));
  if (basemap.attribution) map.attributionControl.addAttribution(basemap.attribution);
}
