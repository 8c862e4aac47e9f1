// The registry officer's imports: upload a file and read its dry run (the rows and columns with
// problems, what the commit would do, the probable duplicates), commit it and follow its progress,
// and open earlier imports. Nothing is written before the commit; the registry decides everything.
import { registerScreen } from '/static/screens.js';
import { $, attempt, draw, escape, table } from '/static/ui.js';
import { call } from '/static/api.js';
import { language, number, t, when } from '/static/i18n.js';
import { reason, say, scrolling } from '/static/screens/registry-people.js';
import '/static/screens/registry-imports-words.js';

const RUNNING = ['validating', 'committing'];
const OUTCOMES = ['create', 'update', 'unchanged', 'refused'];
let following = null; // the timer that reads a running import again

// An import's status in the page's language (an unknown one as the registry said it).
function status(value) {
  const key = `reg_imp_${value}`;
  return t(key) === key ? value : t(key);
}

function counts(job) {
  const rows = [
    [t('reg_imp_rows'), number(job.rows_read)],
    [t('reg_imp_households'), `${number(job.households_total)} (${number(job.households_valid)} ${t('reg_imp_valid')}, ${number(job.households_invalid)} ${t('reg_imp_invalid')})`],
    [t('reg_imp_duplicates'), number(job.duplicates_count)],
    [t('reg_imp_share_found'), job.duplicate_share == null ? '—' : `${number(Math.round(job.duplicate_share * 1000) / 10)} %`],
    [t('reg_imp_written'), number(job.households_written)],
  ];
  return `<dl class="reg-counts">${rows.map(([k, v]) => `<dt>${escape(k)}</dt><dd>${escape(v)}</dd>`).join('')}</dl>`;
}

function progress(job) {
  const outcomes = job.outcomes || {};
  const total = (outcomes.create || 0) + (outcomes.update || 0);
  if (!['committing', 'committed'].includes(job.status) || !total) return '';
  return `<label>${escape(t('reg_imp_progress'))} <progress class="reg-progress" max="${escape(total)}" value="${escape(job.households_written)}">${escape(`${number(job.households_written)} / ${number(total)}`)}</progress>
    <span class="reg-written">${escape(`${number(job.households_written)} / ${number(total)}`)}</span></label>`;
}

function problems(job) {
  if (!job.problems.length) return `<p>${escape(t('reg_imp_no_problems'))}</p>`;
  const rows = job.problems.map((p) => [escape(p.row), escape(p.column), escape(p.problem)]);
  const headers = [{ label: t('reg_imp_row'), n: true }, { label: t('reg_imp_column') }, { label: t('reg_imp_problem') }];
  const more = job.problems_count > job.problems.length ? `<p class="muted">${escape(t('reg_imp_first_only'))}</p>` : '';
  return scrolling(table(headers, rows), t('reg_imp_problems')) + more;
}

function outcomes(job) {
  if (!job.outcomes) return '';
  const rows = [OUTCOMES.map((o) => escape(number(job.outcomes[o] || 0)))];
  const refused = job.households.filter((h) => h.outcome === 'refused').map((h) => [
    escape(h.first_row), escape(h.reference), escape(h.pointer), escape(language() === 'es' ? h.reason_es || h.reason : h.reason),
  ]);
  const refusals = refused.length
    ? `<h4>${escape(t('reg_imp_refusals'))}</h4>${scrolling(table([{ label: t('reg_imp_row'), n: true }, { label: t('reg_imp_reference') }, { label: t('reg_imp_cell') }, { label: t('reg_imp_reason') }], refused), t('reg_imp_refusals'))}`
    : '';
  return `<h4>${escape(t('reg_imp_outcomes'))}</h4>${table(OUTCOMES.map((o) => ({ label: t(`reg_imp_${o}`), n: true })), rows)}${refusals}`;
}

function duplicates(job) {
  if (!job.duplicates.length) return `<p>${escape(t('reg_imp_no_duplicates'))}</p>`;
  const rows = job.duplicates.map((d) => [
    escape(d.row),
    escape(d.reference),
    escape(d.other_row != null ? `${say('reg_imp_in_file', d.other_row)} (${d.other_reference})` : d.other_registration_number || d.other_household),
    escape(number(d.score)),
    escape(d.reasons.map(reason).join(', ')),
  ]);
  const headers = [{ label: t('reg_imp_row'), n: true }, { label: t('reg_imp_reference') }, { label: t('reg_imp_resembles') }, { label: t('reg_imp_score'), n: true }, { label: t('reg_imp_reasons') }];
  return scrolling(table(headers, rows), t('reg_imp_duplicates'));
}

function show(pane, job) {
  const commit = () => (job.status === 'validated' ? `<button type="button" class="primary reg-commit" data-id="${escape(job.id)}">${escape(t('reg_imp_commit'))}</button>` : '');
  draw($('.reg-import', pane), () => `
    <h3>${escape(job.file_name)} — <span class="state reg-status">${escape(status(job.status))}</span></h3>
    ${job.error ? `<p class="error">${escape(job.error)}</p>` : ''}
    ${counts(job)}${progress(job)}${commit()}
    <h4>${escape(t('reg_imp_problems'))}</h4>${problems(job)}
    ${outcomes(job)}
    <h4>${escape(t('reg_imp_duplicates'))}</h4>${duplicates(job)}`);
}

async function open(pane, id) {
  clearTimeout(following);
  const job = await attempt(() => call('registry', `/v1/imports/${encodeURIComponent(id)}`));
  if (!job) return;
  show(pane, job);
  if (RUNNING.includes(job.status)) {
    following = setTimeout(() => open(pane, id), 1000);
  } else {
    await earlier(pane);
  }
}

async function earlier(pane) {
  const jobs = await attempt(() => call('registry', '/v1/imports?limit=20'));
  if (!jobs) return;
  if (!jobs.length) { draw($('.reg-earlier', pane), () => `<p>${escape(t('reg_imp_none'))}</p>`); return; }
  const rows = () => jobs.map((j) => [
    `<button type="button" class="reg-open" data-id="${escape(j.id)}">${escape(j.file_name)}</button>`,
    escape(when(j.created_at)),
    escape(j.created_by),
    escape(status(j.status)),
    escape(number(j.households_written)),
    escape(number(j.problems_count)),
  ]);
  const headers = () => [{ label: t('reg_imp_file_name') }, { label: t('reg_imp_when') }, { label: t('reg_imp_by') }, { label: t('reg_imp_status') }, { label: t('reg_imp_written'), n: true }, { label: t('reg_imp_problems'), n: true }];
  draw($('.reg-earlier', pane), () => scrolling(table(headers(), rows()), t('reg_imp_earlier')));
}

function mount(pane) {
  pane.insertAdjacentHTML('beforeend', `
    <form class="reg-upload">
      <label><span data-i18n="reg_imp_file"></span> <input type="file" name="file" accept=".csv,.xlsx,.json" required></label>
      <label><span data-i18n="reg_imp_share"></span> <input name="share" type="number" min="0" max="1" step="0.01"></label>
      <button type="submit" data-i18n="reg_imp_upload"></button>
    </form>
    <section class="reg-import" aria-live="polite"></section>
    <h3 data-i18n="reg_imp_earlier"></h3>
    <div class="reg-earlier"></div>`);
  $('.reg-upload', pane).addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = event.target;
    const body = new FormData();
    body.append('file', form.file.files[0]);
    if (form.share.value) body.append('max_duplicate_share', form.share.value);
    const job = await attempt(() => call('registry', '/v1/imports', { method: 'POST', body }));
    if (job) await open(pane, job.id);
  });
  pane.addEventListener('click', async (event) => {
    const button = event.target.closest('button');
    if (button?.classList.contains('reg-open')) await open(pane, button.dataset.id);
    if (button?.classList.contains('reg-commit')) {
      button.disabled = true;
      const job = await attempt(() => call('registry', `/v1/imports/${encodeURIComponent(button.dataset.id)}/commit`, { method: 'POST', json: {} }));
      if (job) await open(pane, job.id); else button.disabled = false;
    }
  });
  earlier(pane);
}

registerScreen({ id: 'registry-imports', roles: ['registry_officer'], label: 'reg_imp_tab', wide: true, mount, refresh: earlier });
