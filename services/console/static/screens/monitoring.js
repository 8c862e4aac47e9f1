// Monitoring for auditors and programme officers: a hazard event's, an alert's or a programme's
// households and people at each stage, people reached by sex, age and disability, waits, coverage
// and cost. Each chart (Chart.js, served by the console) stands beside the table of its numbers.
import { call } from '/static/api.js';
import { money, number, t } from '/static/i18n.js';
import { registerScreen } from '/static/screens.js';
import { whenLanguageChanges } from '/static/screens/on-language.js';
import '/static/screens/monitoring-words.js';
import { $, attempt, escape, table } from '/static/ui.js';

const STAGES = ['exposed', 'eligible', 'held', 'proposed', 'approved', 'instructed', 'paid', 'failed', 'reissued'];
const BANDS = ['0_5', '6_11', '12_17', '18_59', '60_plus'];
const BAND_LABELS = { '0_5': '0–5', '6_11': '6–11', '12_17': '12–17', '18_59': '18–59', '60_plus': '60+' };
const charts = new Map();
let shown = null; // { scope, report }

const count = (value) => (value == null ? '–' : number(value));

function skeleton() {
  return `
    <h2 data-i18n="monitoring_title"></h2>
    <form class="inline" data-role="scope">
      <label><span data-i18n="monitoring_scope"></span> <select name="scope" required></select></label>
      <label><span data-i18n="monitoring_level"></span>
        <select name="level"><option value="1">1</option><option value="2">2</option><option value="3">3</option></select></label>
      <button type="submit" data-i18n="monitoring_show"></button>
      <button type="button" data-role="csv" disabled data-i18n="monitoring_csv"></button>
    </form>
    <p class="error" role="alert" data-role="error"></p>
    <div data-role="report" aria-live="polite"><p class="muted" data-i18n="monitoring_nothing"></p></div>`;
}

async function fillScopes(pane) {
  const select = $('select[name=scope]', pane);
  const [events, programmes] = await Promise.all([
    call('transfers', '/v1/hazard-events').catch(() => []),
    call('transfers', '/v1/programmes').catch(() => []),
  ]);
  const kept = select.value;
  const group = (label, options) => (options.length ? `<optgroup label="${escape(label)}">${options.join('')}</optgroup>` : '');
  const option = (value, text) => `<option value="${escape(value)}">${escape(text)}</option>`;
  select.innerHTML = group(t('monitoring_hazard_events'), events.map((e) => option(`hazard-events/${e.id}`, e.name)))
    + group(t('monitoring_alerts'), events.flatMap((e) => e.alerts.map((a) => option(`alerts/${a.incident_id}`, a.headline || a.event || a.incident_id))))
    + group(t('monitoring_programmes'), (programmes || []).map((p) => option(`programmes/${p.id}`, p.name)));
  if (kept && [...select.options].some((o) => o.value === kept)) select.value = kept;
}

function chart(canvas, config) {
  charts.get(canvas.dataset.chart)?.destroy();
  if (!window.Chart) return;
  charts.set(canvas.dataset.chart, new window.Chart(canvas, { ...config, options: { animation: false, responsive: true, maintainAspectRatio: false, ...config.options } }));
}

function stagesPart(report) {
  const rows = STAGES.map((s) => [escape(t(`monitoring_stage_${s}`)), count(report.stages[s].households), count(report.stages[s].people)]);
  return `<section><h3 data-i18n="monitoring_stages"></h3>
    <div class="chart"><canvas data-chart="stages" role="img" aria-label="${escape(t('monitoring_stages'))}"></canvas></div>
    ${table([{ label: t('monitoring_stage') }, { label: t('monitoring_households'), n: true }, { label: t('monitoring_people'), n: true }], rows)}</section>`;
}

function peoplePart(report, stage, title) {
  const cells = report.people[stage].by_sex_and_age;
  const rows = BANDS.map((b) => [escape(BAND_LABELS[b]), count(cells.female[b].people), count(cells.female[b].with_disability),
    count(cells.male[b].people), count(cells.male[b].with_disability)]);
  const disabled = `${t('monitoring_with_disability')}`;
  const notCounted = report.people[stage].households_not_counted;
  return `<section><h3>${escape(t(title))}</h3>
    <div class="chart"><canvas data-chart="people-${stage}" role="img" aria-label="${escape(t(title))}"></canvas></div>
    ${table([{ label: t('monitoring_band') }, { label: t('monitoring_female'), n: true }, { label: disabled, n: true },
      { label: t('monitoring_male'), n: true }, { label: disabled, n: true }], rows)}
    ${notCounted ? `<p class="muted">${count(notCounted)} ${escape(t('monitoring_not_counted'))}</p>` : ''}</section>`;
}

function waitsPart(report) {
  const rows = Object.entries(report.waits).map(([name, w]) => [escape(t(`monitoring_wait_${name}`)), count(w.households),
    w.median_minutes == null ? '–' : number(w.median_minutes), w.p90_minutes == null ? '–' : number(w.p90_minutes)]);
  return `<section><h3 data-i18n="monitoring_waits"></h3>
    <div class="chart"><canvas data-chart="waits" role="img" aria-label="${escape(t('monitoring_waits'))}"></canvas></div>
    ${table([{ label: t('monitoring_wait') }, { label: t('monitoring_households'), n: true }, { label: t('monitoring_median'), n: true }, { label: t('monitoring_p90'), n: true }], rows)}</section>`;
}

function ratio(value) { return value == null ? '–' : `${number(value * 100, { maximumFractionDigits: 1 })} %`; }

function summaryPart(report) {
  const c = report.coverage;
  const onset = report.paid_before_onset;
  const cost = report.cost.map((m) => [escape(m.currency), money(m.approved, m.currency), money(m.paid, m.currency),
    m.paid_per_household == null ? '–' : money(m.paid_per_household, m.currency)]);
  return `<section><h3 data-i18n="monitoring_coverage"></h3>
    ${table([{ label: '' }, { label: t('monitoring_households'), n: true }, { label: t('monitoring_people'), n: true }], [
      [escape(t('monitoring_paid_of_eligible')), ratio(c.paid_of_eligible.households), ratio(c.paid_of_eligible.people)],
      [escape(t('monitoring_paid_of_exposed')), ratio(c.paid_of_exposed.households), ratio(c.paid_of_exposed.people)]])}
    <p data-role="before-onset">${escape(t('monitoring_before_onset'))}: <strong>${count(onset.households)}</strong> ${escape(t('monitoring_of'))} ${count(onset.of_paid_with_onset)}</p>
    <h3 data-i18n="monitoring_cost"></h3>
    ${table([{ label: '' }, { label: t('monitoring_approved_amount'), n: true }, { label: t('monitoring_paid_amount'), n: true }, { label: t('monitoring_per_household'), n: true }], cost)}</section>`;
}

function groupsPart(groups, key, title) {
  const headers = [{ label: t(key === 'area' ? 'monitoring_area' : 'monitoring_bands') }, ...STAGES.map((s) => ({ label: t(`monitoring_stage_${s}`), n: true }))];
  return `<section><h3 data-i18n="${title}"></h3><div class="scroll" tabindex="0" role="region" aria-label="${escape(t(title))}">
    ${table(headers, groups.map((g) => [escape(g[key]), ...STAGES.map((s) => count(g[s]))]))}</div></section>`;
}

function render(pane) {
  const box = $('[data-role=report]', pane);
  const { report } = shown;
  box.innerHTML = `<p class="muted" data-i18n="monitoring_not_shown"></p>
    <div class="monitoring">${summaryPart(report)}${stagesPart(report)}${peoplePart(report, 'paid', 'monitoring_reached')}
    ${peoplePart(report, 'exposed', 'monitoring_exposed_people')}${waitsPart(report)}
    ${groupsPart(report.by_area, 'area', 'monitoring_areas')}${groupsPart(report.by_band, 'band', 'monitoring_bands')}</div>`;
  box.querySelectorAll('[data-i18n]').forEach((e) => { e.textContent = t(e.dataset.i18n); });
  chart($('[data-chart=stages]', box), {
    type: 'bar',
    data: { labels: STAGES.map((s) => t(`monitoring_stage_${s}`)), datasets: [
      { label: t('monitoring_households'), data: STAGES.map((s) => report.stages[s].households) },
      { label: t('monitoring_people'), data: STAGES.map((s) => report.stages[s].people) }] },
  });
  for (const stage of ['paid', 'exposed']) {
    const cells = report.people[stage].by_sex_and_age;
    chart($(`[data-chart=people-${stage}]`, box), {
      type: 'bar',
      data: { labels: BANDS.map((b) => BAND_LABELS[b]), datasets: [
        { label: t('monitoring_female'), data: BANDS.map((b) => cells.female[b].people) },
        { label: `${t('monitoring_female')}, ${t('monitoring_with_disability')}`, data: BANDS.map((b) => cells.female[b].with_disability) },
        { label: t('monitoring_male'), data: BANDS.map((b) => cells.male[b].people) },
        { label: `${t('monitoring_male')}, ${t('monitoring_with_disability')}`, data: BANDS.map((b) => cells.male[b].with_disability) }] },
    });
  }
  const waits = Object.entries(report.waits);
  chart($('[data-chart=waits]', box), {
    type: 'bar',
    data: { labels: waits.map(([name]) => t(`monitoring_wait_${name}`)), datasets: [
      { label: t('monitoring_median'), data: waits.map(([, w]) => w.median_minutes) },
      { label: t('monitoring_p90'), data: waits.map(([, w]) => w.p90_minutes) }] },
    options: { indexAxis: 'y' },
  });
}

async function show(pane) {
  const form = $('form[data-role=scope]', pane);
  const scope = form.scope.value;
  if (!scope) return;
  const errorIn = $('[data-role=error]', pane);
  const report = await attempt(() => call('transfers', `/v1/monitoring/${scope}?level=${form.level.value}`), { errorIn });
  if (!report) return;
  shown = { scope: `${scope}?level=${form.level.value}`, report };
  $('[data-role=csv]', pane).disabled = false;
  render(pane);
}

async function downloadCsv(pane) {
  if (!shown) return;
  const [path, query] = shown.scope.split('?');
  const response = await attempt(() => call('transfers', `/v1/monitoring/${path}/figures.csv?${query}`, { raw: true }), { errorIn: $('[data-role=error]', pane) });
  if (!response) return;
  const link = document.createElement('a');
  link.href = URL.createObjectURL(await response.blob());
  link.download = `monitoring-${path.replace('/', '-')}.csv`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

registerScreen({
  id: 'monitoring',
  roles: ['auditor', 'programme_officer'],
  label: 'monitoring_tab',
  wide: true,
  mount(pane) {
    pane.insertAdjacentHTML('beforeend', skeleton());
    $('form[data-role=scope]', pane).addEventListener('submit', (event) => { event.preventDefault(); show(pane); });
    $('[data-role=csv]', pane).addEventListener('click', () => downloadCsv(pane));
    whenLanguageChanges(() => { fillScopes(pane); if (shown) render(pane); });
    fillScopes(pane);
  },
  refresh(pane) { return fillScopes(pane); },
});
