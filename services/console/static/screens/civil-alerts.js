// Civil protection: compose a CAP alert (statements, parameters, areas drawn, uploaded or chosen
// among admin areas), preview whom it would expose, issue it; update or cancel an alert with its
// references kept. The message goes to the alerts service as CAP 1.2 XML.
import { call } from '/static/api.js';
import { number, t, translate, when } from '/static/i18n.js';
import { consoleMap, onMapReady, setMapBusy } from '/static/map.js';
import { registerScreen } from '/static/screens.js';
import {
  AREA_NAMES, CATEGORIES, CERTAINTIES, LANGUAGES, SCHEME, SEVERITIES, STATUSES, URGENCIES,
  areaName, capTime, capTimeOfInput, capXml, covers, inputOfCapTime, newIdentifier, ringsOfGeojson,
} from '/static/screens/civil-cap.js';
import '/static/screens/civil-words.js';
import { $, attempt, escape, showError, table } from '/static/ui.js';

const DRAWN_COLOUR = '#0b4f6c';
const CODE_COLOUR = '#6a3d9a';

let pane = null;
let adminAreas = [];       // the admin layer's features: { properties: { code }, geometry }
let compose = { mode: 'Alert', base: null };
const areasOf = new WeakMap(); // a statement's fieldset → { polygons: [[lat, lon]…], codes: Set }
let sketch = null;         // { fieldset, points: [LatLng] } while drawing
let picking = null;        // the fieldset whose admin areas are picked on the map
let layer = null;          // what the statements' areas look like on the map

const options = (values, chosen) => values.map((v) => `<option${v === chosen ? ' selected' : ''}>${escape(v)}</option>`).join('');

function skeleton() {
  return `
    <h2 data-i18n="civil_alerts_tab"></h2>
    <section aria-labelledby="civil-list-title"><h3 id="civil-list-title" data-i18n="civil_your_alerts"></h3>
      <ul class="civil-list"></ul></section>
    <form class="civil-compose" novalidate>
      <h3 class="civil-mode"></h3>
      <button type="button" name="start-new" data-i18n="civil_start_new"></button>
      <fieldset class="civil-message"><legend data-i18n="civil_message"></legend>
        <label><span data-i18n="civil_sender"></span> <input name="sender" required maxlength="200" autocomplete="off"></label>
        <label><span data-i18n="civil_sender_name"></span> <input name="sender_name" maxlength="200" autocomplete="organization"></label>
        <label><span data-i18n="civil_status"></span> <select name="status">${options(STATUSES, 'Actual')}</select></label>
        <label><span data-i18n="civil_incidents"></span> <input name="incidents" maxlength="200" autocomplete="off"></label>
        <label class="civil-note"><span data-i18n="civil_note"></span> <textarea name="note" rows="2" maxlength="1000"></textarea></label>
      </fieldset>
      <div class="civil-statements"></div>
      <button type="button" name="add-statement" data-i18n="civil_add_statement"></button>
      <p class="civil-actions">
        <button type="button" name="preview" data-i18n="civil_preview"></button>
        <button type="submit" name="issue" class="primary"></button>
      </p>
    </form>
    <section class="civil-preview" aria-live="polite"></section>
    <section class="civil-issued" aria-live="polite"></section>
    <details class="civil-cap"><summary data-i18n="civil_cap"></summary><pre></pre></details>
    <datalist id="civil-languages">${LANGUAGES.map((l) => `<option value="${escape(l)}"></option>`).join('')}</datalist>`;
}

function statementMarkup() {
  return `
    <legend></legend>
    <label><span data-i18n="civil_language"></span> <select name="language">${options(LANGUAGES)}</select></label>
    <label><span data-i18n="civil_category"></span> <select name="category">${options(CATEGORIES)}</select></label>
    <label><span data-i18n="civil_event"></span> <input name="event" required maxlength="200" autocomplete="off"></label>
    <label><span data-i18n="urgency"></span> <select name="urgency">${options(URGENCIES, 'Expected')}</select></label>
    <label><span data-i18n="severity"></span> <select name="severity">${options(SEVERITIES, 'Severe')}</select></label>
    <label><span data-i18n="certainty"></span> <select name="certainty">${options(CERTAINTIES, 'Likely')}</select></label>
    <label><span data-i18n="civil_onset"></span> <input name="onset" type="datetime-local"></label>
    <label><span data-i18n="civil_expires"></span> <input name="expires" type="datetime-local" required></label>
    <label><span data-i18n="civil_headline"></span> <input name="headline" maxlength="300" autocomplete="off"></label>
    <label><span data-i18n="civil_description"></span> <textarea name="description" rows="2"></textarea></label>
    <label><span data-i18n="civil_instruction"></span> <textarea name="instruction" rows="2"></textarea></label>
    <fieldset class="civil-translations"><legend data-i18n="civil_translations"></legend>
      <div class="civil-rows"></div>
      <button type="button" name="add-translation" data-i18n="civil_add_translation"></button></fieldset>
    <fieldset class="civil-parameters"><legend data-i18n="civil_parameters"></legend>
      <div class="civil-rows"></div>
      <button type="button" name="add-parameter" data-i18n="civil_add_parameter"></button></fieldset>
    <fieldset class="civil-area"><legend data-i18n="civil_area"></legend>
      <label><span data-i18n="civil_area_desc"></span> <input name="area_desc" maxlength="300" autocomplete="off"></label>
      <p class="muted" data-i18n="civil_draw_help"></p>
      <button type="button" name="draw" data-i18n="civil_draw"></button>
      <button type="button" name="finish" data-i18n="civil_finish" disabled></button>
      <button type="button" name="clear-drawn" data-i18n="civil_clear_drawn"></button>
      <label><span data-i18n="civil_upload_area"></span> <input type="file" name="upload" accept=".geojson,.json,application/geo+json,application/json"></label>
      <button type="button" name="pick" data-i18n="civil_pick" aria-pressed="false"></button>
      <p class="civil-area-summary" aria-live="polite"></p>
      <label><span data-i18n="civil_search"></span> <input type="search" name="search" autocomplete="off"></label>
      <div class="civil-codes" role="group" tabindex="-1"></div></fieldset>
    <button type="button" name="remove-statement" data-i18n="civil_remove_statement"></button>`;
}

// -- statements --------------------------------------------------------------------------------

function statements() { return [...pane.querySelectorAll('.civil-statement')]; }

function parameterRow(rows, name = '', value = '') {
  const row = document.createElement('div');
  row.className = 'civil-row';
  row.innerHTML = `<label><span data-i18n="civil_parameter_name"></span> <input name="parameter_name" autocomplete="off"></label>
    <label><span data-i18n="civil_parameter_value"></span> <input name="parameter_value" autocomplete="off"></label>
    <button type="button" data-i18n="civil_remove"></button>`;
  row.querySelector('[name=parameter_name]').value = name;
  row.querySelector('[name=parameter_value]').value = value;
  row.querySelector('button').addEventListener('click', () => row.remove());
  rows.append(row);
  translate(row);
}

// The same statement in another language: its words only (everything else is the statement's).
function translationRow(rows, words = {}) {
  const row = document.createElement('div');
  row.className = 'civil-row civil-translation';
  row.innerHTML = `<label><span data-i18n="civil_language"></span> <input name="t_language" required maxlength="35" autocomplete="off" list="civil-languages"></label>
    <label><span data-i18n="civil_headline"></span> <input name="t_headline" maxlength="300" autocomplete="off"></label>
    <label><span data-i18n="civil_description"></span> <textarea name="t_description" rows="2"></textarea></label>
    <label><span data-i18n="civil_instruction"></span> <textarea name="t_instruction" rows="2"></textarea></label>
    <button type="button" data-i18n="civil_remove"></button>`;
  for (const name of ['language', 'headline', 'description', 'instruction']) row.querySelector(`[name=t_${name}]`).value = words[name] || '';
  row.querySelector('button').addEventListener('click', () => row.remove());
  rows.append(row);
  translate(row);
}

function addStatement(values = {}) {
  const fieldset = document.createElement('fieldset');
  fieldset.className = 'civil-statement';
  fieldset.innerHTML = statementMarkup();
  pane.querySelector('.civil-statements').append(fieldset);
  const field = (name) => fieldset.querySelector(`[name=${name}]`);
  const later = new Date(Date.now() + 2 * 86400000);
  if (values.language && !LANGUAGES.includes(values.language)) field('language').append(new Option(values.language));
  field('language').value = values.language || LANGUAGES[0];
  for (const name of ['category', 'event', 'urgency', 'severity', 'certainty', 'headline', 'description', 'instruction']) {
    if (values[name]) field(name).value = values[name];
  }
  field('onset').value = inputOfCapTime(values.onset);
  field('expires').value = inputOfCapTime(values.expires || capTime(later));
  field('area_desc').value = values.areaDescription || '';
  areasOf.set(fieldset, { polygons: values.polygons || [], codes: new Set(values.codes || []) });
  for (const words of values.translations || []) translationRow(fieldset.querySelector('.civil-translations .civil-rows'), words);
  for (const p of values.parameters || []) parameterRow(fieldset.querySelector('.civil-parameters .civil-rows'), p.name, p.value);
  wireStatement(fieldset);
  renumber();
  translate(fieldset);
  showCodes(fieldset);
  showAreas();
  return fieldset;
}

function wireStatement(fieldset) {
  const button = (name) => fieldset.querySelector(`button[name=${name}]`);
  button('add-parameter').addEventListener('click', () => parameterRow(fieldset.querySelector('.civil-parameters .civil-rows')));
  button('add-translation').addEventListener('click', () => translationRow(fieldset.querySelector('.civil-translations .civil-rows')));
  button('remove-statement').addEventListener('click', () => {
    if (statements().length === 1) return;
    stopDrawing();
    fieldset.remove();
    renumber();
    showAreas();
  });
  button('draw').addEventListener('click', () => {
    stopPicking();
    sketch = { fieldset, points: [] };
    setMapBusy(true);
    button('finish').disabled = true;
  });
  button('finish').addEventListener('click', () => {
    if (!sketch || sketch.points.length < 3) return;
    areasOf.get(fieldset).polygons.push(sketch.points.map((p) => [p.lat, p.lng]));
    stopDrawing();
    showAreas();
  });
  button('clear-drawn').addEventListener('click', () => {
    areasOf.get(fieldset).polygons = [];
    stopDrawing();
    showAreas();
  });
  button('pick').addEventListener('click', () => {
    const was = picking === fieldset;
    stopDrawing();
    stopPicking();
    if (!was) { picking = fieldset; setMapBusy(true); markPicking(); }
  });
  fieldset.querySelector('[name=upload]').addEventListener('change', async (event) => {
    const file = event.target.files[0];
    if (!file) return;
    try {
      const rings = ringsOfGeojson(JSON.parse(await file.text()));
      if (!rings.length) throw new Error(t('civil_bad_geojson'));
      areasOf.get(fieldset).polygons.push(...rings);
      showError(null);
      showAreas();
    } catch (error) {
      showError(error instanceof SyntaxError ? new Error(t('civil_bad_geojson')) : error);
    }
  });
  fieldset.querySelector('[name=search]').addEventListener('input', () => showCodes(fieldset));
  fieldset.querySelector('.civil-codes').addEventListener('change', (event) => {
    const codes = areasOf.get(fieldset).codes;
    if (event.target.checked) codes.add(event.target.value); else codes.delete(event.target.value);
    showAreas();
  });
}

function renumber() {
  const all = statements();
  all.forEach((fieldset, n) => {
    fieldset.querySelector(':scope > legend').textContent = `${t('civil_statement')} ${n + 1}`;
    fieldset.querySelector('button[name=remove-statement]').hidden = all.length === 1;
  });
}

// The admin areas to tick: those matching the search, the chosen ones first.
function showCodes(fieldset) {
  const wanted = fieldset.querySelector('[name=search]').value.trim().toLowerCase();
  const chosen = areasOf.get(fieldset).codes;
  const codes = adminAreas.map((f) => f.properties.code)
    .filter((code) => chosen.has(code) || !wanted || areaName(code).toLowerCase().includes(wanted))
    .sort((a, b) => Number(chosen.has(b)) - Number(chosen.has(a)) || a.localeCompare(b));
  const box = fieldset.querySelector('.civil-codes');
  box.setAttribute('aria-label', t('civil_admin_areas'));
  box.innerHTML = codes.map((code) => `<label class="civil-code"><input type="checkbox" name="code" value="${escape(code)}"
    ${chosen.has(code) ? 'checked' : ''}> ${escape(areaName(code))}</label>`).join('');
}

function areaSummary(fieldset) {
  const { polygons, codes } = areasOf.get(fieldset);
  return `${t('civil_drawn')}: ${polygons.length} · ${t('civil_admin_areas')}: ${codes.size ? [...codes].sort().join(', ') : '—'}`;
}

// -- the map -----------------------------------------------------------------------------------

function stopDrawing() {
  if (sketch) sketch.fieldset.querySelector('button[name=finish]').disabled = true;
  sketch = null;
  if (!picking) setMapBusy(false);
  showAreas();
}

function stopPicking() {
  picking = null;
  if (!sketch) setMapBusy(false);
  markPicking();
}

function markPicking() {
  for (const fieldset of statements()) {
    const button = fieldset.querySelector('button[name=pick]');
    button.setAttribute('aria-pressed', String(picking === fieldset));
    button.dataset.i18n = picking === fieldset ? 'civil_pick_done' : 'civil_pick';
    button.textContent = t(button.dataset.i18n);
  }
}

function showAreas() {
  for (const fieldset of statements()) fieldset.querySelector('.civil-area-summary').textContent = areaSummary(fieldset);
  const map = consoleMap();
  if (!map) return;
  if (layer) layer.remove();
  layer = L.layerGroup();
  for (const fieldset of statements()) {
    const { polygons, codes } = areasOf.get(fieldset);
    for (const ring of polygons) L.polygon(ring, { color: DRAWN_COLOUR, weight: 2, fillOpacity: 0.15 }).addTo(layer);
    const chosen = adminAreas.filter((f) => codes.has(f.properties.code));
    if (chosen.length) L.geoJSON(chosen, { style: { color: CODE_COLOUR, weight: 2, fillOpacity: 0.15 } }).addTo(layer);
  }
  if (sketch && sketch.points.length) L.polyline(sketch.points, { color: DRAWN_COLOUR, dashArray: '4' }).addTo(layer);
  layer.addTo(map);
}

function onMapClick(event) {
  if (!pane) return;
  if (pane.hidden) {
    // Left drawing or picking for another tab: the map is the console's again.
    if (sketch) stopDrawing();
    if (picking) stopPicking();
    return;
  }
  if (sketch) {
    sketch.points.push(event.latlng);
    sketch.fieldset.querySelector('button[name=finish]').disabled = sketch.points.length < 3;
    showAreas();
  } else if (picking) {
    const hit = adminAreas.find((f) => covers(f.geometry, event.latlng.lat, event.latlng.lng));
    if (!hit) return;
    const codes = areasOf.get(picking).codes;
    const code = hit.properties.code;
    if (codes.has(code)) codes.delete(code); else codes.add(code);
    showCodes(picking);
    showAreas();
  }
}

// -- the message -------------------------------------------------------------------------------

function readStatement(fieldset) {
  const value = (name) => fieldset.querySelector(`[name=${name}]`).value;
  const { polygons, codes } = areasOf.get(fieldset);
  const description = value('area_desc').trim();
  const areas = [];
  if (polygons.length) areas.push({ description: description || value('event'), polygons });
  if (codes.size) {
    const named = [...codes].sort().map((c) => AREA_NAMES[c] || c).join(', ');
    areas.push({ description: polygons.length || !description ? named : description, geocodes: [...codes].sort() });
  }
  return {
    language: value('language'), category: value('category'), event: value('event'), urgency: value('urgency'),
    severity: value('severity'), certainty: value('certainty'), onset: capTimeOfInput(value('onset')),
    expires: capTimeOfInput(value('expires')), headline: value('headline'), description: value('description'),
    instruction: value('instruction'), areas,
    translations: [...fieldset.querySelectorAll('.civil-translation')].map((row) => Object.fromEntries(
      ['language', 'headline', 'description', 'instruction'].map((name) => [name, row.querySelector(`[name=t_${name}]`).value.trim()]),
    )).filter((words) => words.language),
    parameters: [...fieldset.querySelectorAll('.civil-parameters .civil-row')].map((row) => ({
      name: row.querySelector('[name=parameter_name]').value, value: row.querySelector('[name=parameter_value]').value,
    })),
  };
}

// The message the form says; each statement needs an event and an area (a cancellation needs none).
function readMessage() {
  const form = pane.querySelector('.civil-compose');
  const sender = form.sender.value.trim();
  const base = compose.base?.current;
  // An update or cancellation must be sent after what it replaces (CAP times count whole seconds):
  // one sent in the same second would be kept for the record only.
  const sent = new Date(Math.max(Date.now(), base ? new Date(base.sent).getTime() + 1000 : 0));
  const message = {
    identifier: newIdentifier(sender), sender, senderName: form.sender_name.value.trim(), sent: capTime(sent), status: form.status.value,
    msgType: compose.mode, incidents: form.incidents.value.split(/\s+/).filter(Boolean), note: form.note.value,
    references: base ? [...new Set([...(base.references || []), `${base.sender},${base.identifier},${base.sent}`])] : [],
    statements: compose.mode === 'Cancel' ? [] : statements().map(readStatement),
  };
  const missing = [...form.querySelectorAll('.civil-message [required], .civil-statement [required]')]
    .filter((input) => !input.closest('[hidden]') && !input.value.trim());
  if (missing.length) {
    missing[0].focus();
    const label = missing[0].closest('label')?.querySelector('span')?.textContent || missing[0].name;
    throw new Error(`${label}: ?`);
  }
  if (message.statements.some((s) => s.areas.length === 0)) throw new Error(t('civil_no_area'));
  return message;
}

function exposureView(exposure, warnings) {
  if (!exposure) return '';
  return `<p><strong data-count="households">${number(exposure.households)}</strong> ${escape(t('households'))} ·
      <strong data-count="people">${number(exposure.people)}</strong> ${escape(t('people'))}</p>
    ${exposure.by_band ? table([{ label: t('band') }, { label: t('households'), n: true }, { label: t('people'), n: true }],
      exposure.by_band.map((b) => [escape(b.band), number(b.households), number(b.people)])) : ''}
    ${table([{ label: t('area') }, { label: t('households'), n: true }, { label: t('people'), n: true }],
      (exposure.by_area || []).map((a) => [escape(areaName(a.admin_code)), number(a.households), number(a.people)]))}
    ${warnings?.length ? `<h4>${escape(t('civil_warnings'))}</h4><ul>${warnings.map((w) => `<li>${escape(w)}</li>`).join('')}</ul>` : ''}`;
}

// The refusal is shown at the top of the screen: bring it to where the person looks.
function refused() { pane.querySelector('.error').scrollIntoView({ block: 'center' }); }

// Build the message, or show what is missing; the CAP document is shown as it will be sent.
function built() {
  try {
    const xml = capXml(readMessage());
    pane.querySelector('.civil-cap pre').textContent = xml;
    return xml;
  } catch (error) {
    showError(error);
    refused();
    return null;
  }
}

async function preview() {
  const xml = built();
  if (!xml) return;
  const answer = await attempt(() => call('alerts', '/v1/alerts/what-if', { method: 'POST', body: xml, contentType: 'application/cap+xml' }));
  if (!answer) { refused(); return; }
  pane.querySelector('.civil-preview').innerHTML = `<h3>${escape(t('civil_preview_title'))}</h3>
    <p class="muted">${escape(t('civil_nothing_stored'))}</p>${exposureView(answer.exposure, answer.warnings)}`;
}

async function issue() {
  const xml = built();
  if (!xml) return;
  const incident = await attempt(() => call('alerts', '/v1/alerts', { method: 'POST', body: xml, contentType: 'application/cap+xml' }));
  if (!incident) { refused(); return; }
  localStorage.setItem('amparo.civil.sender', incident.current.sender);
  pane.querySelector('.civil-issued').innerHTML = `<h3>${escape(t('civil_issued'))}</h3>
    <p data-incident="${escape(incident.id)}">${escape(incident.current.headline || incident.current.event || incident.id)} ·
      ${escape(t('civil_version'))} ${number(incident.version)} · <span class="state">${escape(incident.state)}</span></p>
    ${exposureView(incident.exposure, incident.warnings)}`;
  pane.querySelector('.civil-preview').innerHTML = '';
  startNew();
  await loadAlerts();
}

// -- new, update, cancel -----------------------------------------------------------------------

function setMode(mode, base) {
  compose = { mode, base };
  const form = pane.querySelector('.civil-compose');
  const what = base ? ` ${base.current.headline || base.current.event} (${when(base.current.sent)})` : '';
  form.querySelector('.civil-mode').textContent = mode === 'Alert' ? t('civil_new_alert')
    : `${t(mode === 'Update' ? 'civil_updating' : 'civil_cancelling')}${what}`;
  form.querySelector('.civil-note').hidden = mode !== 'Cancel';
  form.querySelector('.civil-statements').hidden = mode === 'Cancel';
  form.querySelector('[name=add-statement]').hidden = mode === 'Cancel';
  form.querySelector('[name=preview]').hidden = mode === 'Cancel';
  form.querySelector('[name=start-new]').hidden = mode === 'Alert';
  form.issue.dataset.i18n = { Alert: 'civil_issue', Update: 'civil_issue_update', Cancel: 'civil_issue_cancel' }[mode];
  form.issue.textContent = t(form.issue.dataset.i18n);
}

function clearStatements(fill = [{}]) {
  stopDrawing();
  stopPicking();
  pane.querySelector('.civil-statements').innerHTML = '';
  fill.forEach((values) => addStatement(values));
}

function startNew() {
  const form = pane.querySelector('.civil-compose');
  form.reset();
  form.sender.value = localStorage.getItem('amparo.civil.sender') || '';
  setMode('Alert', null);
  clearStatements();
}

// An update starts from what the alert says now: its statements, parameters and areas (areas
// given by admin codes come back as their outlines).
async function startFrom(id, mode) {
  const [incident, said] = await Promise.all([
    attempt(() => call('alerts', `/v1/alerts/${encodeURIComponent(id)}`)),
    attempt(() => call('alerts', `/v1/alerts/${encodeURIComponent(id)}/texts`)),
  ]);
  if (!incident || !said) return;
  const current = incident.current;
  const textsOf = (statement) => said.find((s) => s.statement === statement)?.texts || [];
  const form = pane.querySelector('.civil-compose');
  form.reset();
  form.sender.value = current.sender || '';
  form.sender_name.value = said.flatMap((s) => s.texts).find((words) => words.sender_name)?.sender_name || '';
  form.status.value = STATUSES.includes(current.status) ? current.status : 'Actual';
  form.incidents.value = (current.incidents || []).join(' ');
  setMode(mode, incident);
  const features = current.areas?.features || [];
  clearStatements((current.statements || [{}]).map((s) => {
    const mine = features.filter((f) => f.properties.statement === s.statement);
    const [first, ...others] = textsOf(s.statement);
    return {
      ...s, ...first, language: first?.language || (s.languages || [])[0], category: (s.categories || [])[0],
      translations: others,
      areaDescription: mine.map((f) => f.properties.description).filter(Boolean).join('; '),
      polygons: mine.flatMap((f) => ringsOfGeojson(f.geometry)),
    };
  }));
  form.scrollIntoView();
}

let listed = 0;

// Only the latest asking draws the list: an earlier answer arriving late is dropped.
async function loadAlerts() {
  const mine = ++listed;
  const alerts = await attempt(() => call('alerts', '/v1/alerts?limit=50'));
  if (!alerts || mine !== listed) return;
  const list = pane.querySelector('.civil-list');
  list.innerHTML = alerts.length ? '' : `<li>${escape(t('no_alerts'))}</li>`;
  for (const alert of alerts) {
    const item = document.createElement('li');
    item.className = `sev-${alert.severity}`;
    item.dataset.id = alert.id;
    item.innerHTML = `<strong>${escape(alert.headline || alert.event)}</strong>
      <span class="muted">${escape(alert.sender)} · ${when(alert.sent)} · v${number(alert.version)}</span>
      <span class="state">${escape(alert.state)}</span>`;
    if (alert.state === 'active') {
      for (const [mode, label] of [['Update', 'civil_update'], ['Cancel', 'civil_cancel']]) {
        const button = document.createElement('button');
        button.type = 'button';
        button.name = mode.toLowerCase();
        button.textContent = t(label);
        button.addEventListener('click', () => startFrom(alert.id, mode));
        item.append(' ', button);
      }
    }
    list.append(item);
  }
}

async function loadAdminAreas() {
  const layerFound = await call('alerts', `/v1/admin-areas/${SCHEME}`).catch(() => null);
  adminAreas = layerFound?.features || [];
  statements().forEach(showCodes);
}

registerScreen({
  id: 'civil-alerts',
  roles: ['civil_protection'],
  label: 'civil_alerts_tab',
  async mount(element) {
    pane = element;
    pane.insertAdjacentHTML('beforeend', skeleton());
    translate(pane);
    const form = pane.querySelector('.civil-compose');
    form.addEventListener('submit', (event) => { event.preventDefault(); issue(); });
    form.preview.addEventListener('click', preview);
    form['start-new'].addEventListener('click', startNew);
    form['add-statement'].addEventListener('click', () => addStatement());
    startNew();
    onMapReady((map) => map.on('click', onMapClick));
    await Promise.all([loadAlerts(), loadAdminAreas()]);
  },
  refresh() { loadAlerts(); showAreas(); },
});
