// The decision console: alerts on a map, who they expose, the batches they trigger, what-if, why.
import {
  call, describe, loadSession, session, sessionEnded, signIn, signInMode, signOut,
} from '/static/api.js';
import { drawBasemap, drawLand } from '/static/basemap.js';
import { language, money, number, setLanguage, t, translate, when } from '/static/i18n.js';
import { mapBusy, mapCreated } from '/static/map.js';
import { screens, whenScreenOpens } from '/static/screens.js';
import { grievanceLinks } from '/static/screens/grievance-common.js';
import '/static/screens/index.js';
import {
  $, attempt, draw, escape, showError, showErrorIn, table, whenSignedOut,
} from '/static/ui.js';
const SEVERITY_COLOURS = { Extreme: '#7a0019', Severe: '#d7301f', Moderate: '#fc8d59', Minor: '#fdcc8a' };
// The alerts, what-if and household tabs show their refusals in their own message, whichever
// screen is shown when their work (a refresh, a late answer) ends.
const HERE = { get errorIn() { return $('#error'); } };
const BAND_COLOURS = ['#fee391', '#fe9929', '#cc4c02', '#662506'];
const GROUPS = ['children_under_5', 'elderly_65_plus', 'persons_with_disabilities', 'female_headed'];

let map;
let layers = {};
let selected = null;
let drawing = null;
let drawnArea = null;
let programmes = [];

// -- map ---------------------------------------------------------------------------------

function initMap() {
  if (map) return;
  map = L.map('map').setView([18.8, -70.2], 8);
  const legend = L.control({ position: 'bottomleft' });
  legend.onAdd = () => {
    const div = L.DomUtil.create('div', 'legend');
    div.innerHTML = Object.keys(SEVERITY_COLOURS).map((name) => `<div><i class="sev-${name}"></i>${name}</div>`).join('');
    return div;
  };
  legend.addTo(map);
  drawBasemap(map);
  map.on('click', (event) => {
    if (!drawing) return;
    drawing.push(event.latlng);
    if (layers.drawing) layers.drawing.remove();
    layers.drawing = L.polyline(drawing, { color: '#0b4f6c', dashArray: '4' }).addTo(map);
    $('#finish').disabled = drawing.length < 3;
  });
  mapCreated(map);
}

function replaceLayer(name, layer) {
  if (layers[name]) layers[name].remove();
  layers[name] = layer;
  if (layer) layer.addTo(map);
}

async function loadBoundaries() {
  const boundaries = await call('alerts', '/v1/admin-areas/ISO3166-2').catch(() => null);
  if (!boundaries) return;
  replaceLayer('land', drawLand(map, boundaries));
  // Outlines only: the land beneath is filled, so that the basemap's roads and towns show through.
  const layer = L.geoJSON(boundaries, {
    style: { color: '#52606d', weight: 1, fillColor: '#ffffff', fillOpacity: 0 },
    onEachFeature: (feature, shape) => shape.bindTooltip(escape(feature.properties.code)),
  });
  replaceLayer('boundaries', layer);
  layer.bringToBack();
}

// -- alerts ------------------------------------------------------------------------------

// What was last drawn, so that a refresh redraws only what changed.
const shown = { alerts: null, incident: null, batches: null };

// The roles the alerts service lets read alerts: the console does not ask for the others (a
// registry officer's screens would otherwise show the refusal every time the list refreshes).
const ALERT_READERS = ['civil_protection', 'programme_officer', 'approver', 'payments_officer', 'auditor'];

async function loadAlerts({ onlyIfChanged = false } = {}) {
  if (!session.has(...ALERT_READERS)) return false;
  const alerts = await attempt(() => call('alerts', '/v1/alerts?limit=50'), HERE);
  if (!alerts) return false;
  const signature = JSON.stringify(alerts);
  if (onlyIfChanged && signature === shown.alerts) return false;
  shown.alerts = signature;
  const list = $('#alert-list');
  list.innerHTML = alerts.length ? '' : `<li>${escape(t('no_alerts'))}</li>`;
  for (const alert of alerts) {
    const item = document.createElement('li');
    item.className = `sev-${alert.severity}`;
    item.dataset.id = alert.id;
    item.innerHTML = `<strong>${escape(alert.event || alert.headline)}</strong> · ${escape(alert.severity)}
      · <span class="state">${escape(alert.state)}</span><br>
      <span class="muted">${escape(alert.headline || '')}</span><br>
      <span class="muted">${escape(t('households'))}: ${number(alert.households)} · ${escape(t('people'))}: ${number(alert.people)}</span>`;
    item.addEventListener('click', () => selectAlert(alert.id));
    list.append(item);
  }
  drawActiveAlerts(alerts.filter((a) => a.state === 'active'));
  // The newest real alert first: exercises and tests do not take the decision-makers' eye.
  const first = alerts.find((a) => a.status === 'Actual') || alerts[0];
  if (!selected && first) selectAlert(first.id);
  return true;
}

// Every active alert's areas, coloured by severity, under the selected one's.
async function drawActiveAlerts(active) {
  const group = L.layerGroup();
  for (const alert of active) {
    const areas = await call('alerts', `/v1/alerts/${alert.id}/areas`).catch(() => null);
    if (!areas) continue;
    const colour = SEVERITY_COLOURS[alert.severity] || '#666';
    L.geoJSON(areas, { style: { color: colour, weight: 1, dashArray: '3', fillColor: colour, fillOpacity: 0.08 } })
      .bindTooltip(`${escape(alert.event)} · ${escape(alert.severity)}`)
      .on('click', () => { if (!drawing && !mapBusy()) selectAlert(alert.id); })
      .addTo(group);
  }
  replaceLayer('active', group);
  if (layers.boundaries) layers.boundaries.bringToBack();
}

// Each statement of the alert (its <info> blocks; several languages saying the same are one).
function statementsTable(current) {
  const said = current.statements || [];
  if (said.length === 0) return '';
  const areas = (current.areas?.features || []);
  return `<h3>${escape(t('statements'))}</h3>
    ${table([{ label: '' }, { label: t('severity') }, { label: t('urgency') }, { label: t('certainty') },
      { label: t('areas_count'), n: true }],
      said.map((s) => [`<span data-statement="${s.statement}">${escape(s.event || s.headline || '')}</span>
        <span class="muted">${escape((s.languages || []).join(', '))}</span>`,
        escape(s.severity), escape(s.urgency), escape(s.certainty),
        number(areas.filter((f) => f.properties.statement === s.statement).length)]))}`;
}

function exposureTables(exposure) {
  if (!exposure) return `<p class="muted">—</p>`;
  const bands = exposure.by_band || [];
  const areas = exposure.by_area || [];
  return `
    <h3>${escape(t('exposure'))}</h3>
    <p><strong data-count="households">${number(exposure.households)}</strong> ${escape(t('households'))} ·
       <strong data-count="people">${number(exposure.people)}</strong> ${escape(t('people'))}</p>
    ${exposure.after_alert ? `<p data-after-alert>${escape(t('after_alert'))}: ${escape(t('arrived'))}
       ${number(exposure.after_alert.arrived)} · ${escape(t('moved_out'))} ${number(exposure.after_alert.moved_out)}</p>` : ''}
    <h4>${escape(t('vulnerable'))}</h4>
    ${table([{ label: '' }, { label: '', n: true }], GROUPS.map((g) => [escape(t(g)), number(exposure[g])]))}
    <h4>${escape(t('by_band'))}</h4>
    ${table([{ label: t('band') }, { label: t('households'), n: true }, { label: t('people'), n: true }],
      bands.map((b) => [escape(b.band), number(b.households), number(b.people)]))}
    <h4>${escape(t('by_area'))}</h4>
    ${table([{ label: t('area') }, { label: t('households'), n: true }, { label: t('people'), n: true },
      { label: t('children_under_5'), n: true }, { label: t('elderly_65_plus'), n: true }],
      areas.map((a) => [escape(a.admin_code), number(a.households), number(a.people),
        number(a.children_under_5), number(a.elderly_65_plus)]))}`;
}

let generation = 0;

// Only the latest selection draws: an earlier one still loading gives up after each wait.
async function selectAlert(id, { fit = true } = {}) {
  selected = id;
  const mine = ++generation;
  document.querySelectorAll('#alert-list li').forEach((li) => li.classList.toggle('selected', li.dataset.id === id));
  const incident = await attempt(() => call('alerts', `/v1/alerts/${id}`), HERE);
  if (!incident || generation !== mine) return;
  const current = incident.current;
  const said = current.statements || [];
  // Each area in the colour of its own statement's severity.
  const colourOf = (feature) => SEVERITY_COLOURS[(said[feature.properties.statement] || current).severity] || '#666';
  const areas = L.geoJSON(current.areas, {
    style: (feature) => ({ color: colourOf(feature), weight: 2, fillColor: colourOf(feature), fillOpacity: 0.15 }),
  });
  replaceLayer('areas', areas);
  if (fit && !mapBusy() && areas.getBounds().isValid()) map.fitBounds(areas.getBounds(), { maxZoom: 10 });
  const grid = await call('alerts', `/v1/alerts/${id}/exposure-grid?cell_deg=0.05`).catch(() => null);
  if (generation !== mine) return;
  if (grid) {
    const most = Math.max(1, ...grid.features.map((f) => f.properties.people || 0));
    replaceLayer('grid', L.geoJSON(grid, {
      style: (f) => ({ weight: 0, fillColor: '#253494', fillOpacity: 0.15 + 0.6 * ((f.properties.people || 0) / most) }),
      onEachFeature: (f, shape) => shape.bindTooltip(escape(f.properties.households == null
        ? `< ${f.properties.fewer_than} ${t('households')}`
        : `${number(f.properties.households)} ${t('households')} · ${number(f.properties.people)} ${t('people')}`)),
    }));
  }
  const footprints = (await call('alerts', `/v1/footprints?incident_id=${id}`).catch(() => [])) || [];
  if (generation !== mine) return;
  const drawn = L.layerGroup();
  for (const footprint of footprints) {
    const geometry = await call('alerts', `/v1/footprints/${footprint.id}/geometry`).catch(() => null);
    if (!geometry || generation !== mine) return;
    const bands = [...(footprint.thresholds || [])].sort((a, b) => a.min - b.min);
    for (const feature of geometry.features) {
      const intensity = feature.properties.intensity;
      const band = bands.filter((b) => intensity >= b.min).length - 1;
      const colour = band < 0 ? '#bbbbbb' : BAND_COLOURS[Math.min(band, BAND_COLOURS.length - 1)];
      const name = band < 0 ? '—' : bands[band].band;
      L.geoJSON(feature, { style: { color: colour, weight: 1, fillOpacity: 0.25 } })
        .bindTooltip(escape(`${footprint.kind}: ${intensity} ${footprint.units} (${name})`)).addTo(drawn);
    }
  }
  replaceLayer('footprints', drawn);
  const footprintText = footprints.map((f) => `<li>${escape(f.kind)} (${escape(f.units)}): ${number(f.exposure.households)}
    ${escape(t('households'))} · ${(f.exposure.by_band || []).map((b) => `${escape(b.band)} ${number(b.households)}`).join(' · ')}</li>`).join('');
  $('#alert').innerHTML = `
    <h2>${escape(current.headline || current.event)}</h2>
    <p class="muted">${escape(t('sender'))}: ${escape(current.sender)} · ${escape(t('sent'))}: ${when(current.sent)} ·
      ${escape(t('expires'))}: ${when(current.expires)} · ${escape(t('severity'))}: ${escape(current.severity)} ·
      <span class="state">${escape(incident.state)}</span></p>
    ${statementsTable(current)}
    ${footprints.length ? `<h3>${escape(t('footprints'))}</h3><ul>${footprintText}</ul>` : ''}
    ${exposureTables(incident.exposure)}`;
  await showBatches(incident, { generation: mine });
}

// -- batches -----------------------------------------------------------------------------

function minutesBetween(from, to) {
  if (!from || !to) return '—';
  return `${number((new Date(to) - new Date(from)) / 60000, { minimumFractionDigits: 1, maximumFractionDigits: 1 })} ${t('minutes')}`;
}

async function showBatches(incident, { onlyIfChanged = false, generation: asked = generation } = {}) {
  const box = $('#batches');
  if (!session.has('programme_officer', 'approver', 'payments_officer', 'auditor')) {
    box.innerHTML = '';
    return;
  }
  const answer = await attempt(() => call('transfers', `/v1/batches?incident_id=${incident.id}`), HERE);
  if (!answer || asked !== generation) return;
  const signature = JSON.stringify(answer.batches);
  if (onlyIfChanged && signature === shown.batches) return;
  shown.batches = signature;
  shown.incident = incident;
  const names = Object.fromEntries(programmes.map((p) => [p.id, p.name]));
  box.innerHTML = `<h3>${escape(t('programmes'))}</h3>` + (answer.batches.length ? '' : `<p class="muted">${escape(t('no_batches'))}</p>`);
  for (const batch of answer.batches) {
    const div = document.createElement('div');
    div.className = 'batch';
    div.dataset.batch = batch.id;
    const states = Object.entries(batch.payments_by_state).map(([s, n]) => `${escape(s)}: ${number(n)}`).join(' · ');
    div.innerHTML = `
      <strong>${escape(names[batch.programme_id] || batch.programme_id)}</strong> (v${batch.programme_version}, ${escape(batch.kind)})
      <span class="state" data-role="state">${escape(batch.state)}</span>
      ${table([{ label: '' }, { label: '', n: true }], [
        [escape(t('households')), number(batch.households)],
        [escape(t('amount')), money(batch.total, batch.currency)],
        [escape(t('coverage')), number(batch.coverage, { style: 'percent' })],
        [escape(t('cut_off')), batch.cut_off_score == null ? '—' : number(batch.cut_off_score)],
        [escape(t('below_cut_off')), number(batch.below_cut_off)],
        [escape(t('timeline')), `${minutesBetween(incident.messages[0]?.sent, batch.proposed_at)} → ${minutesBetween(batch.proposed_at, batch.decided_at)}`],
        [escape(t('approved_by')), escape(batch.decided_by || '—')],
      ])}
      <p class="muted">${escape(t('reconciliation'))}: ${states}</p>`;
    if (batch.state === 'proposed' && session.has('approver')) div.append(reviewForm(batch));
    if (['approved', 'instructed', 'settled', 'partly_failed', 'failed'].includes(batch.state) && session.has('payments_officer')) {
      div.append(fileForm(batch));
    }
    box.append(div);
  }
}

function reviewForm(batch) {
  const form = document.createElement('form');
  form.className = 'review';
  form.innerHTML = `<label><span>${escape(t('comment'))}</span> <textarea name="comment" rows="2" required></textarea></label>
    <button type="submit" name="approve" class="primary">${escape(t('approve'))}</button>
    <button type="button" name="reject">${escape(t('reject'))}</button>`;
  const decide = async (verb) => {
    const comment = form.comment.value.trim();
    if (!comment) { showError(new Error(`${t('comment')}: ?`)); return; }
    const done = await attempt(() => call('transfers', `/v1/batches/${batch.id}/${verb}`, { method: 'POST', json: { comment }, idempotent: true }), HERE);
    if (done) selectAlert(selected);
  };
  form.addEventListener('submit', (event) => { event.preventDefault(); decide('approve'); });
  form.reject.addEventListener('click', () => decide('reject'));
  return form;
}

function fileForm(batch) {
  const form = document.createElement('form');
  form.className = 'payment-file';
  const options = Object.keys(batch.payments_by_channel).map((c) => `<option>${escape(c)}</option>`).join('');
  form.innerHTML = `<strong>${escape(t('download'))}</strong>
    <label><span>${escape(t('channel'))}</span> <select name="channel">${options}</select></label>
    <label><span>${escape(t('format'))}</span> <select name="format"><option>pain.001</option><option>csv</option></select></label>
    <button type="submit">${escape(t('write_file'))}</button>`;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const file = await attempt(() => call('transfers', `/v1/batches/${batch.id}/instructions`, {
      method: 'POST', json: { channel_type: form.channel.value, format: form.format.value }, idempotent: true,
    }), HERE);
    if (!file) return;
    const response = await attempt(() => call('transfers', `/v1/payment-files/${file.id}`, { raw: true }), HERE);
    if (!response) return;
    const blob = await response.blob();
    const link = document.createElement('a');
    link.href = URL.createObjectURL(blob);
    link.download = `${file.message_id}.${form.format.value === 'pain.001' ? 'xml' : 'csv'}`;
    document.body.append(link);
    link.click();
    link.remove();
    selectAlert(selected);
  });
  return form;
}

// -- what-if -----------------------------------------------------------------------------

async function areaWhatIf(geojson) {
  drawnArea = geojson;
  replaceLayer('what-if', L.geoJSON(geojson, { style: { color: '#0b4f6c', weight: 2, fillOpacity: 0.1 } }));
  const answer = await attempt(() => call('alerts', '/v1/alerts/what-if', {
    method: 'POST', body: JSON.stringify(geojson), contentType: 'application/geo+json',
  }), HERE);
  if (answer) $('#what-if-area').innerHTML = exposureTables(answer.exposure);
}

function wireWhatIf() {
  $('#draw').addEventListener('click', () => {
    drawing = [];
    $('#finish').disabled = true;
  });
  $('#finish').addEventListener('click', () => {
    if (!drawing || drawing.length < 3) return;
    const ring = drawing.map((p) => [p.lng, p.lat]);
    ring.push(ring[0]);
    drawing = null;
    replaceLayer('drawing', null);
    $('#finish').disabled = true;
    areaWhatIf({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [ring] } }] });
  });
  $('#clear').addEventListener('click', () => {
    drawing = null; drawnArea = null;
    replaceLayer('drawing', null); replaceLayer('what-if', null);
    $('#what-if-area').innerHTML = '';
  });
  $('#upload').addEventListener('change', async (event) => {
    const file = event.target.files[0];
    if (!file) return;
    try {
      await areaWhatIf(JSON.parse(await file.text()));
    } catch (error) {
      showError(error);
    }
  });
  $('#variant').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = event.target;
    const programme = programmes.find((p) => p.id === form.programme.value);
    if (!programme) return;
    if (!selected) { showError(new Error(t('what_if_alert'))); return; }
    const draft = structuredClone(programme.programme);
    if (form.base.value) draft.benefit.base = Number(form.base.value);
    if (form.budget.value) draft.budget.per_incident = Number(form.budget.value);
    const answer = await attempt(() => call('transfers', '/v1/programmes/what-if', {
      method: 'POST', json: { programme: draft, incident_id: selected },
    }), HERE);
    if (!answer) return;
    $('#what-if-programme').innerHTML = table([{ label: '' }, { label: '', n: true }], [
      [escape(t('eligible')), number(answer.eligible)],
      [escape(t('people')), number(answer.people_eligible)],
      [escape(t('cost')), money(answer.paid, answer.currency)],
      [escape(t('coverage')), number(answer.coverage, { style: 'percent' })],
      [escape(t('cut_off')), answer.cut_off_score == null ? '—' : number(answer.cut_off_score)],
    ]);
  });
  $('#variant').programme.addEventListener('change', fillVariant);
}

function fillVariant() {
  const form = $('#variant');
  const programme = programmes.find((p) => p.id === form.programme.value);
  if (!programme) return;
  form.base.value = programme.programme.benefit.base;
  form.budget.value = programme.programme.budget?.per_incident ?? '';
}

async function loadProgrammes() {
  $('#variant').hidden = !session.has('programme_officer', 'approver');
  if (!session.has('programme_officer', 'approver')) return;
  programmes = (await call('transfers', '/v1/programmes').catch(() => [])) || [];
  $('#variant').programme.innerHTML = programmes.map((p) => `<option value="${escape(p.id)}">${escape(p.name)}</option>`).join('');
  fillVariant();
}

// -- household ---------------------------------------------------------------------------

function wireHousehold() {
  $('#household-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const id = event.target.id.value.trim();
    // The household's grievances, and filing one, for whoever may (hotline operators and field
    // staff included: they see no decisions here).
    draw($('#household-grievances'), () => grievanceLinks(id));
    if (!session.has('programme_officer', 'approver', 'payments_officer', 'auditor')) {
      $('#household-why').textContent = t('not_allowed');
      return;
    }
    const answer = await attempt(() => call('transfers', `/v1/households/${encodeURIComponent(id)}/decisions?lang=${language()}`), HERE);
    if (!answer) return;
    $('#household-why').innerHTML = answer.decisions.map((d) => `<ul class="why">${d.explanation.map((line) => `<li>${escape(line)}</li>`).join('')}</ul>`).join('');
  });
}

// -- start -------------------------------------------------------------------------------

const mounted = new Set();

// Another screen asked for this one (openScreen): its tab, then what it should show.
whenScreenOpens((name, what) => {
  const screen = screens().find((s) => s.id === name);
  if (!screen || !session.has(...screen.roles)) return false;
  showTab(name);
  if (screen.open) screen.open(document.querySelector(`[data-pane="${name}"]`), what);
  return true;
});

function showTab(name) {
  document.querySelectorAll('nav button').forEach((b) => b.classList.toggle('active', b.dataset.tab === name));
  document.querySelectorAll('[data-pane]').forEach((p) => { p.hidden = p.dataset.pane !== name; });
  const screen = screens().find((s) => s.id === name);
  $('main').classList.toggle('wide', !!screen?.wide);
  const pane = document.querySelector(`[data-pane="${name}"]`);
  showErrorIn(screen ? pane.querySelector('.error') : $('#error'));
  if (screen && !mounted.has(name)) {
    mounted.add(name);
    screen.mount(pane);
    translate(pane);
  } else if (screen?.refresh) {
    screen.refresh(pane);
  }
  if (!screen && map) map.invalidateSize();
}

// A tab and a pane for each screen the person's roles show.
function addScreens() {
  const nav = $('#panel nav');
  for (const screen of screens()) {
    if (!session.has(...screen.roles) || nav.querySelector(`[data-tab="${screen.id}"]`)) continue;
    const button = document.createElement('button');
    button.type = 'button';
    button.dataset.tab = screen.id;
    button.dataset.i18n = screen.label;
    button.textContent = t(screen.label);
    button.addEventListener('click', () => showTab(screen.id));
    nav.append(button);
    const pane = document.createElement('div');
    pane.dataset.pane = screen.id;
    pane.hidden = true;
    pane.innerHTML = '<p class="error" role="alert"></p>';
    $('#panel').append(pane);
  }
}

// Sign-in with the local account file, or through the institution's identity provider; a refused
// sign-in (?sign_in=<reason>) or an ended session is said on the sign-in page.
function showSignInWay() {
  const provider = signInMode() === 'oidc';
  $('#local-sign-in').hidden = provider;
  $('#local-sign-in').disabled = provider;
  $('#provider-sign-in').hidden = !provider;
  const reason = new URLSearchParams(window.location.search).get('sign_in');
  const known = ['audience', 'no_role', 'expired', 'failed', 'unavailable'];
  if (reason) window.history.replaceState(null, '', window.location.pathname);
  if (reason) $('#sign-in-error').textContent = t(`sign_in_${known.includes(reason) ? reason : 'failed'}`);
  else if (sessionEnded()) $('#sign-in-error').textContent = t('sign_in_expired');
}

async function start() {
  translate();
  await loadSession();
  showSignInWay();
  const current = session.get();
  $('#sign-in').hidden = !!current;
  $('#console').hidden = !current;
  $('#sign-out').hidden = !current;
  $('#who').textContent = current ? `${current.name} (${current.roles.join(', ')})` : '';
  if (!current) return;
  addScreens();
  const first = screens().find((s) => session.has(...s.roles));
  if (!session.has(...ALERT_READERS) && first) showTab(first.id);
  initMap();
  map.invalidateSize();
  await loadProgrammes();
  await loadBoundaries();
  await loadAlerts();
}

// New alerts, proposals and decisions appear without reloading; a form being filled in is left alone.
const REFRESH_SECONDS = 20;
setInterval(async () => {
  if (!session.get() || document.hidden || drawing || mapBusy()) return;
  if (document.activeElement && ['TEXTAREA', 'INPUT', 'SELECT'].includes(document.activeElement.tagName)) return;
  if ([...document.querySelectorAll('#batches textarea')].some((box) => box.value)) return;
  if (await loadAlerts({ onlyIfChanged: true })) {
    if (selected) await selectAlert(selected, { fit: false });
  } else if (shown.incident && shown.incident.id === selected) {
    await showBatches(shown.incident, { onlyIfChanged: true });
  }
}, REFRESH_SECONDS * 1000);

$('#sign-in').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.target;
  try {
    await signIn(form.username.value, form.password.value);
    $('#sign-in-error').textContent = '';
    form.reset();
    start();
  } catch (error) {
    $('#sign-in-error').textContent = describe(error);
  }
});
$('#sign-out').addEventListener('click', async () => { if (!(await signOut('/'))) window.location.reload(); });
$('#language').addEventListener('click', () => { setLanguage(language() === 'es' ? 'en' : 'es'); if (session.get()) { loadAlerts(); if (selected) selectAlert(selected); } });
document.querySelectorAll('nav button').forEach((b) => b.addEventListener('click', () => showTab(b.dataset.tab)));
whenSignedOut(() => start());
wireWhatIf();
wireHousehold();
start();
