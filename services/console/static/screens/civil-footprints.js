// Civil protection: upload a hazard footprint (a vector layer with intensities, or a raster) for
// an alert, with the bands its intensities fall into; see each footprint's exposure by band.
import { call } from '/static/api.js';
import { number, t, translate, when } from '/static/i18n.js';
import { registerScreen } from '/static/screens.js';
import { alertOptions } from '/static/screens/civil-cap.js';
import '/static/screens/civil-words.js';
import { attempt, draw, escape, showError, table } from '/static/ui.js';

const KINDS = ['flood_depth', 'wind_speed', 'rainfall'];
const TYPES = { geojson: 'application/geo+json', json: 'application/geo+json', zip: 'application/zip',
  gpkg: 'application/geopackage+sqlite3', tif: 'image/tiff', tiff: 'image/tiff' };

let pane = null;

function skeleton() {
  return `
    <h2 data-i18n="civil_footprint_title"></h2>
    <form class="civil-footprint" novalidate>
      <label><span data-i18n="civil_alert"></span> <select name="incident"></select></label>
      <label><span data-i18n="civil_kind"></span> <select name="kind">${KINDS.map((k) => `<option value="${k}" data-i18n="civil_kind_${k}"></option>`).join('')}</select></label>
      <fieldset><legend data-i18n="civil_bands"></legend><div class="civil-rows"></div>
        <button type="button" name="add-band" data-i18n="civil_add_band"></button></fieldset>
      <label><span data-i18n="civil_intensity_property"></span> <input name="intensity_property" value="intensity" autocomplete="off"></label>
      <label><span data-i18n="civil_crs"></span> <input name="crs" placeholder="EPSG:4326" autocomplete="off"></label>
      <label><span data-i18n="civil_file"></span> <input type="file" name="file" required
        accept=".geojson,.json,.zip,.gpkg,.tif,.tiff,.asc,.grd,.img,.grib,.grb,.nc,.xyz,.gz"></label>
      <button type="submit" data-i18n="civil_upload"></button>
    </form>
    <section class="civil-footprint-result" aria-live="polite"></section>
    <section class="civil-footprint-list"></section>`;
}

function bandRow(name = '', min = '') {
  const row = document.createElement('div');
  row.className = 'civil-row';
  row.innerHTML = `<label><span data-i18n="civil_band_name"></span> <input name="band" required autocomplete="off"></label>
    <label><span data-i18n="civil_band_min"></span> <input name="min" type="number" step="any" required></label>
    <button type="button" data-i18n="civil_remove"></button>`;
  row.querySelector('[name=band]').value = name;
  row.querySelector('[name=min]').value = min;
  row.querySelector('button').addEventListener('click', () => row.remove());
  pane.querySelector('.civil-footprint .civil-rows').append(row);
  translate(row);
}

function footprintView(footprint) {
  const exposure = footprint.exposure || {};
  return `<div class="civil-card" data-footprint="${escape(footprint.id)}">
    <strong>${escape(t(`civil_kind_${footprint.kind}`))}</strong> (${escape(footprint.units || '')}, ${escape(footprint.source_format || '')})
    <p><strong data-count="households">${number(exposure.households)}</strong> ${escape(t('households'))}</p>
    ${table([{ label: t('band') }, { label: t('civil_band_min'), n: true }, { label: t('households'), n: true }],
      (exposure.by_band || []).map((b) => [escape(b.band),
        escape((footprint.thresholds || []).find((x) => x.band === b.band)?.min ?? '—'), number(b.households)]))}
  </div>`;
}

async function showFootprints() {
  const incident = pane.querySelector('[name=incident]').value;
  const box = pane.querySelector('.civil-footprint-list');
  if (!incident) { box.innerHTML = ''; return; }
  const found = await attempt(() => call('alerts', `/v1/footprints?incident_id=${encodeURIComponent(incident)}`));
  if (!found) return;
  draw(box, () => `<h3>${escape(t('civil_footprints_of'))}</h3>` +
    (found.length ? found.map(footprintView).join('') : `<p class="muted">${escape(t('civil_no_footprints'))}</p>`));
}

async function upload(form) {
  const file = form.file.files[0];
  const bands = [...form.querySelectorAll('.civil-row')].map((row) => ({
    band: row.querySelector('[name=band]').value.trim(), min: Number(row.querySelector('[name=min]').value),
  }));
  if (!file || !bands.length || bands.some((b) => !b.band || Number.isNaN(b.min))) {
    showError(new Error(`${t(!file ? 'civil_file' : 'civil_bands')}: ?`));
    return;
  }
  const query = new URLSearchParams({ kind: form.kind.value, thresholds: JSON.stringify(bands) });
  if (form.incident.value) query.set('incident_id', form.incident.value);
  if (form.intensity_property.value.trim()) query.set('intensity_property', form.intensity_property.value.trim());
  if (form.crs.value.trim()) query.set('crs', form.crs.value.trim());
  const extension = file.name.split('.').pop().toLowerCase();
  const footprint = await attempt(() => call('alerts', `/v1/footprints?${query}`, {
    method: 'POST', body: file, contentType: TYPES[extension] || file.type || 'application/octet-stream',
  }));
  if (!footprint) return;
  pane.querySelector('.civil-footprint-result').innerHTML = `<h3>${escape(t('civil_issued'))}</h3>${footprintView(footprint)}`;
  await showFootprints();
}

async function loadAlerts() {
  const alerts = await attempt(() => call('alerts', '/v1/alerts?limit=100'));
  if (!alerts) return;
  const select = pane.querySelector('[name=incident]');
  select.innerHTML = alertOptions(alerts.filter((a) => a.state === 'active'), select.value, escape, when);
  await showFootprints();
}

registerScreen({
  id: 'civil-footprints',
  roles: ['civil_protection'],
  label: 'civil_footprints_tab',
  mount(element) {
    pane = element;
    pane.insertAdjacentHTML('beforeend', skeleton());
    const form = pane.querySelector('.civil-footprint');
    form['add-band'].addEventListener('click', () => bandRow());
    form.incident.addEventListener('change', showFootprints);
    form.addEventListener('submit', (event) => { event.preventDefault(); upload(form); });
    bandRow('moderate', '');
    translate(pane);
    loadAlerts();
  },
  refresh() { loadAlerts(); },
});
