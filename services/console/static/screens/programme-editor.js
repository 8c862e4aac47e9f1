// The programme officer's editor: a programme written part by part, read back in plain words by
// the transfers service as it is written (POST /v1/programmes/render), each mistake beside its
// field, a what-if over an alert or an area before storing it, its versions compared, and each
// new version stored as a draft that waits for an approver other than its author.
import { call, session } from '/static/api.js';
import { language, money, number, t, translate, when } from '/static/i18n.js';
import { registerScreen } from '/static/screens.js';
import { fillForm, formHtml, PARTS, readForm, wireTree } from '/static/screens/programme-form.js';
import '/static/screens/programme-words.js';
import { compareTable } from '/static/screens/programme-compare.js';
import { attempt, escape, table } from '/static/ui.js';

const READ_AFTER_MS = 400;
const BANDS = ['Extreme', 'Severe', 'Moderate', 'Minor'];
const STARTER = {
  name: '', institute: '', currency: 'DOP',
  trigger: { mode: 'response', categories: ['Met'], min_severity: 'Severe' },
  eligibility: { all: [{ field: 'vulnerability_score', op: '>=', value: 50 }] },
  benefit: { base: 3000, per_member: 500, rounding: 100 },
  budget: { per_incident: 10000000, policy: 'rank_by_vulnerability' },
};

const state = { id: null, base: structuredClone(STARTER), versions: [], timer: null, asked: 0 };

function paneHtml() {
  return `
  <h2 data-i18n="programme_editor">${escape(t('programme_editor'))}</h2>
  <form class="pe-open">
    <label><span data-i18n="programme_open">${escape(t('programme_open'))}</span> <select name="programme"></select></label>
    <button type="submit" data-i18n="programme_open_button">${escape(t('programme_open_button'))}</button>
    <p class="muted pe-status" role="status"></p>
  </form>
  <div class="pe-columns">
    <form class="pe-form" novalidate>${formHtml()}
      <details class="pe-json"><summary data-i18n="programme_json">${escape(t('programme_json'))}</summary>
        <label><span data-i18n="programme_json_label">${escape(t('programme_json_label'))}</span>
          <textarea name="json" rows="12" spellcheck="false"></textarea></label>
        <button type="button" class="pe-apply-json" data-i18n="programme_apply_json">${escape(t('programme_apply_json'))}</button>
      </details>
    </form>
    <aside class="pe-words" aria-labelledby="pe-words-title">
      <h3 id="pe-words-title" data-i18n="programme_words">${escape(t('programme_words'))}</h3>
      <dl>${PARTS.map((p) => `<dt data-i18n="programme_${p}">${escape(t(`programme_${p}`))}</dt><dd data-rule="${p}">—</dd>`).join('')}</dl>
      <p class="pe-valid" role="status"></p>
      <ul class="pe-problems"></ul>
    </aside>
  </div>
  <section class="pe-what-if">
    <h3 data-i18n="programme_what_if">${escape(t('programme_what_if'))}</h3>
    <form class="pe-what-if-form">
      <label><span data-i18n="programme_over">${escape(t('programme_over'))}</span>
        <select name="population"><option value="alert" data-i18n="programme_over_alert">${escape(t('programme_over_alert'))}</option>
          <option value="area" data-i18n="programme_over_area">${escape(t('programme_over_area'))}</option></select></label>
      <label class="pe-alert"><span data-i18n="programme_alert">${escape(t('programme_alert'))}</span> <select name="alert"></select></label>
      <label class="pe-area" hidden><span data-i18n="programme_area_code">${escape(t('programme_area_code'))}</span> <input name="area" value="DO" autocomplete="off"></label>
      <label class="pe-area" hidden><span data-i18n="band">${escape(t('band'))}</span>
        <select name="band">${BANDS.map((b) => `<option>${b}</option>`).join('')}</select></label>
      <button type="submit" data-i18n="programme_run_what_if">${escape(t('programme_run_what_if'))}</button>
    </form>
    <div class="pe-what-if-result"></div>
  </section>
  <section class="pe-save">
    <button type="button" class="primary pe-submit" data-i18n="programme_submit">${escape(t('programme_submit'))}</button>
    <p class="muted" data-i18n="programme_submit_help">${escape(t('programme_submit_help'))}</p>
    <p class="pe-saved" role="status"></p>
  </section>
  <section class="pe-versions" hidden>
    <h3 data-i18n="programme_versions">${escape(t('programme_versions'))}</h3>
    <div class="pe-version-list"></div>
    <form class="pe-compare-form">
      <label><span data-i18n="programme_compare_left">${escape(t('programme_compare_left'))}</span> <select name="left"></select></label>
      <label><span data-i18n="programme_compare_right">${escape(t('programme_compare_right'))}</span> <select name="right"></select></label>
      <button type="submit" data-i18n="programme_compare">${escape(t('programme_compare'))}</button>
    </form>
    <div class="pe-compare"></div>
  </section>`;
}

// -- the words and the mistakes, as the service reads them -----------------------------------

function clearProblems(pane) {
  pane.querySelectorAll('.pf-problem').forEach((p) => p.remove());
  pane.querySelectorAll('[aria-invalid]').forEach((e) => { e.removeAttribute('aria-invalid'); e.removeAttribute('aria-describedby'); });
}

// The element a JSON pointer names, or the nearest one above it (/benefit/band_multipliers/Extreme
// is shown at the multipliers' field, /trigger/when/all/0/unit at the action rule).
function placeOf(form, pointer) {
  let path = pointer;
  while (path) {
    const found = form.querySelector(`[data-pointer="${CSS.escape(path)}"]`);
    if (found) return found;
    path = path.slice(0, Math.max(0, path.lastIndexOf('/')));
  }
  return form.querySelector('[data-pointer="/"]');
}

function showProblems(pane, problems) {
  const form = pane.querySelector('.pe-form');
  clearProblems(pane);
  problems.forEach((problem, n) => {
    const place = placeOf(form, problem.pointer);
    const note = document.createElement('p');
    note.className = 'pf-problem';
    note.id = `pf-problem-${n}`;
    note.dataset.problemFor = problem.pointer;
    note.textContent = `${problem.pointer}: ${problem.detail}`;
    if (['INPUT', 'SELECT', 'TEXTAREA'].includes(place.tagName)) {
      place.setAttribute('aria-invalid', 'true');
      place.setAttribute('aria-describedby', note.id);
      place.closest('label').after(note);
    } else if (place.tagName === 'FIELDSET' || place.classList.contains('pf-condition')) {
      place.append(note);
    } else {
      place.after(note);
    }
  });
  pane.querySelector('.pe-problems').innerHTML = problems
    .map((p) => `<li><code>${escape(p.pointer)}</code> ${escape(p.detail)}</li>`).join('');
  pane.querySelector('.pe-valid').textContent = problems.length
    ? `${number(problems.length)} ${t('programme_mistakes')}` : t('programme_no_mistakes');
  pane.querySelector('.pe-valid').classList.toggle('error', problems.length > 0);
}

async function readBack(pane) {
  const document = current(pane);
  const json = pane.querySelector('[name=json]');
  if (window.document.activeElement !== json) json.value = JSON.stringify(document, null, 2);
  const asked = ++state.asked;
  const reading = await attempt(() => call('transfers', `/v1/programmes/render?lang=${language()}`, {
    method: 'POST', json: { programme: document },
  }));
  if (!reading || asked !== state.asked) return;
  for (const part of PARTS) {
    pane.querySelector(`[data-rule="${part}"]`).textContent = reading.rules[part] || '—';
  }
  showProblems(pane, reading.problems);
  pane.dataset.read = String(asked); // the words on screen answer the form as it is now
}

function changed(pane) {
  clearTimeout(state.timer);
  delete pane.dataset.read;
  state.timer = setTimeout(() => readBack(pane), READ_AFTER_MS);
}

function current(pane) {
  return JSON.parse(JSON.stringify(readForm(pane.querySelector('.pe-form'), state.base)));
}

// -- open, store, versions -----------------------------------------------------------------

async function loadProgrammes(pane) {
  const programmes = (await attempt(() => call('transfers', `/v1/programmes?lang=${language()}`))) || [];
  const select = pane.querySelector('.pe-open [name=programme]');
  select.innerHTML = `<option value="" data-i18n="programme_new">${escape(t('programme_new'))}</option>`
    + programmes.map((p) => `<option value="${escape(p.id)}"${p.id === state.id ? ' selected' : ''}>${escape(p.name)} (v${p.version}, ${escape(t(`programme_state_${p.state}`))})</option>`).join('');
}

async function open(pane, id) {
  state.id = id || null;
  state.base = structuredClone(STARTER);
  if (id) {
    const found = await attempt(() => call('transfers', `/v1/programmes/${encodeURIComponent(id)}`));
    if (!found) return;
    state.base = found.programme;
  }
  fillForm(pane.querySelector('.pe-form'), state.base);
  pane.querySelector('.pe-saved').textContent = '';
  await loadVersions(pane);
  readBack(pane);
}

async function loadVersions(pane) {
  const box = pane.querySelector('.pe-versions');
  box.hidden = !state.id;
  if (!state.id) return;
  const latest = await attempt(() => call('transfers', `/v1/programmes/${encodeURIComponent(state.id)}?lang=${language()}`));
  if (!latest) return;
  const numbers = Array.from({ length: latest.version }, (_, n) => n + 1);
  state.versions = await Promise.all(numbers.map((v) => (v === latest.version ? latest
    : call('transfers', `/v1/programmes/${encodeURIComponent(state.id)}?version=${v}&lang=${language()}`))));
  box.querySelector('.pe-version-list').innerHTML = table(
    [{ label: t('programme_version') }, { label: t('state') }, { label: t('programme_author') }, { label: t('programme_created') },
      { label: t('approved_by') }, { label: t('comment') }],
    state.versions.map((v) => [`v${v.version}`, `<span class="state" data-version-state="${v.version}">${escape(t(`programme_state_${v.state}`))}</span>`,
      escape(v.created_by), escape(when(v.created_at)), escape(v.decided_by || '—'), escape(v.decision_comment || '—')]),
  );
  const choices = state.versions.map((v) => `<option value="${v.version}">v${v.version}</option>`).join('');
  const form = box.querySelector('.pe-compare-form');
  form.left.innerHTML = choices;
  form.right.innerHTML = choices;
  form.left.value = String(Math.max(1, latest.version - 1));
  form.right.value = String(latest.version);
}

async function store(pane) {
  const document = current(pane);
  const path = state.id ? `/v1/programmes/${encodeURIComponent(state.id)}` : '/v1/programmes';
  const stored = await attempt(() => call('transfers', path, { method: state.id ? 'PUT' : 'POST', json: document }));
  if (!stored) {
    await readBack(pane); // the refusal names the mistakes: show each at its place
    return;
  }
  state.id = stored.id;
  state.base = stored.programme;
  await loadProgrammes(pane);
  await loadVersions(pane);
  pane.querySelector('.pe-saved').textContent = `${stored.name} v${stored.version}: ${t(`programme_state_${stored.state}`)} — ${t('programme_waits')}`;
  pane.querySelector('.pe-saved').dataset.version = String(stored.version);
}

// -- what-if -------------------------------------------------------------------------------

async function loadAlerts(pane) {
  const alerts = (await call('alerts', '/v1/alerts?limit=50').catch(() => [])) || [];
  pane.querySelector('.pe-what-if-form [name=alert]').innerHTML = alerts
    .map((a) => `<option value="${escape(a.id)}">${escape(a.headline || a.event)} (${escape(a.severity)})</option>`).join('');
}

async function whatIf(pane) {
  const form = pane.querySelector('.pe-what-if-form');
  const body = { programme: current(pane) };
  if (form.population.value === 'alert') body.incident_id = form.alert.value;
  else Object.assign(body, { area: form.area.value.trim(), band: form.band.value });
  const box = pane.querySelector('.pe-what-if-result');
  const answer = await attempt(() => call('transfers', '/v1/programmes/what-if', { method: 'POST', json: body }));
  if (!answer) { box.innerHTML = ''; return; }
  const rows = [
    ['households', t('households'), number(answer.households)],
    ['eligible', t('eligible'), number(answer.eligible)],
    ['people_eligible', t('people'), number(answer.people_eligible)],
    ['requested', t('programme_requested'), money(answer.requested, answer.currency)],
    ['paid', t('cost'), money(answer.paid, answer.currency)],
    ['funded', t('programme_funded'), number(answer.funded)],
    ['coverage', t('coverage'), `${Math.round(answer.coverage * 100)} %`],
    ['cut_off_score', t('cut_off'), answer.cut_off_score == null ? '—' : number(answer.cut_off_score)],
  ];
  if (answer.triggered !== undefined) rows.unshift(['triggered', t('programme_triggered'), t(answer.triggered ? 'programme_yes' : 'programme_no')]);
  box.innerHTML = table([{ label: '' }, { label: '', n: true }], rows.map(([key, label, value]) => [escape(label), `<span data-what-if="${key}">${escape(value)}</span>`]))
    + (answer.by_status ? `<p class="muted">${Object.entries(answer.by_status).filter(([, n]) => n)
      .map(([s, n]) => `${escape(t(`programme_status_${s}`))}: ${number(n)}`).join(' · ')}</p>` : '');
}

// -- the screen ------------------------------------------------------------------------------

function wire(pane) {
  const form = pane.querySelector('.pe-form');
  form.addEventListener('input', (event) => { if (event.target.name !== 'json') changed(pane); });
  form.addEventListener('change', (event) => { if (event.target.name !== 'json') changed(pane); });
  wireTree(form.querySelector('.pf-eligibility'), () => changed(pane));
  pane.querySelector('.pe-apply-json').addEventListener('click', () => {
    try {
      state.base = JSON.parse(form.json.value);
      fillForm(form, state.base);
      changed(pane);
    } catch (error) {
      showProblems(pane, [{ pointer: '/', detail: String(error.message) }]);
    }
  });
  pane.querySelector('.pe-open').addEventListener('submit', (event) => { event.preventDefault(); open(pane, event.target.programme.value); });
  pane.querySelector('.pe-submit').addEventListener('click', () => store(pane));
  const whatIfForm = pane.querySelector('.pe-what-if-form');
  whatIfForm.population.addEventListener('change', () => {
    const area = whatIfForm.population.value === 'area';
    whatIfForm.querySelectorAll('.pe-area').forEach((e) => { e.hidden = !area; });
    whatIfForm.querySelector('.pe-alert').hidden = area;
  });
  whatIfForm.addEventListener('submit', (event) => { event.preventDefault(); whatIf(pane); });
  pane.querySelector('.pe-compare-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const pick = (n) => state.versions.find((v) => v.version === Number(n));
    pane.querySelector('.pe-compare').innerHTML = compareTable(pick(event.target.left.value), pick(event.target.right.value));
  });
}

registerScreen({
  id: 'programmes',
  roles: ['programme_officer'],
  label: 'programme_tab',
  wide: true,
  async mount(pane) {
    const box = document.createElement('div');
    box.className = 'programme-editor';
    box.innerHTML = paneHtml();
    pane.append(box);
    wire(box);
    fillForm(box.querySelector('.pe-form'), state.base);
    translate(box);
    // The service's words in the language the person switches to (the labels follow translate()).
    document.querySelector('#language')?.addEventListener('click', () => { if (!box.closest('[hidden]')) readBack(box); });
    await Promise.all([loadProgrammes(box), loadAlerts(box)]);
    readBack(box);
  },
  refresh(pane) {
    const box = pane.querySelector('.programme-editor');
    if (session.has('programme_officer')) readBack(box); // the words in the page's language
  },
});
