// The audit log of each service, newest first, filtered by action, person, subject, outcome and
// time; and each service's hash chain verified from its first entry.
import { call } from '/static/api.js';
import { number, t, when } from '/static/i18n.js';
import { registerScreen } from '/static/screens.js';
import { $, attempt, escape, table } from '/static/ui.js';
import { whenLanguageChanges } from '/static/screens/on-language.js';
import '/static/screens/audit-words.js';

const SERVICES = ['transfers', 'registry', 'alerts'];
const PAGE = 100;
const FILTERS = ['action', 'by', 'subject_id', 'outcome'];

function query(form, after) {
  const params = new URLSearchParams({ limit: String(PAGE) });
  for (const name of FILTERS) if (form[name].value.trim()) params.set(name, form[name].value.trim());
  // datetime-local is the page's local time: sent in UTC, with its offset.
  if (form.since.value) params.set('since', new Date(form.since.value).toISOString());
  if (form.until.value) params.set('until', new Date(form.until.value).toISOString());
  if (after) params.set('after', String(after));
  return params.toString();
}

function rows(items) {
  return items.map((e) => [
    number(e.position), when(e.at), escape(e.by), escape(e.role || ''), `<span data-action>${escape(e.action)}</span>`,
    `${escape(e.subject_type)} <code>${escape(e.subject_id)}</code>`,
    e.from_state || e.to_state ? `${escape(e.from_state || '—')} → ${escape(e.to_state || '—')}` : '',
    `<span class="state">${escape(t(e.outcome === 'denied' ? 'audit_denied' : 'audit_done'))}</span>`, escape(e.comment || ''),
  ]);
}

const HEADERS = () => [
  { label: t('audit_position'), n: true }, { label: t('audit_at') }, { label: t('audit_by') }, { label: t('audit_role') },
  { label: t('audit_action') }, { label: t('audit_subject_col') }, { label: t('audit_states') },
  { label: t('audit_outcome') }, { label: t('audit_comment') },
];

// Only the latest search draws: one still on its way when another is asked gives up.
let searches = 0;

async function search(pane, { older = false } = {}) {
  const form = $('form[data-role=audit-filter]', pane);
  const box = $('[data-role=entries]', pane);
  const after = older ? Number(box.dataset.nextAfter) : null;
  const mine = ++searches;
  const page = await attempt(() => call(form.service.value, `/v1/audit-log?${query(form, after)}`));
  if (!page || mine !== searches) return;
  const items = older ? [...JSON.parse(box.dataset.items || '[]'), ...page.items] : page.items;
  box.dataset.items = JSON.stringify(items);
  box.dataset.nextAfter = page.next_after ?? '';
  box.innerHTML = items.length ? table(HEADERS(), rows(items)) : `<p class="muted">${escape(t('audit_none'))}</p>`;
  $('[data-role=older]', pane).hidden = page.next_after == null;
}

// The actions the chosen service's log holds, to pick one from as it is typed.
async function actions(pane) {
  const form = $('form[data-role=audit-filter]', pane);
  const held = await attempt(() => call(form.service.value, '/v1/audit-log/actions'));
  if (!held) return;
  $('#audit-actions', pane).innerHTML = held.map((a) => `<option value="${escape(a.action)}">${escape(number(a.entries))}</option>`).join('');
}

async function verify(pane) {
  const box = $('[data-role=verification]', pane);
  const found = [];
  for (const service of SERVICES) {
    const answer = await attempt(() => call(service, '/v1/audit-log/verification'));
    if (!answer) return;
    found.push([`<span data-service="${service}">${escape(t(`audit_${service}`))}</span>`, number(answer.entries),
      answer.intact ? `<span class="ok" data-intact="${service}">${escape(t('audit_verified'))}</span>`
        : `<span class="error" data-broken="${service}">${escape(t('audit_broken'))}: #${number(answer.broken.position)} ${escape(answer.broken.reason)}</span>`,
      `<code class="hash">${escape(answer.last_hash)}</code>`]);
  }
  box.innerHTML = table([{ label: t('audit_service') }, { label: t('audit_entries'), n: true }, { label: t('audit_chain') },
    { label: t('audit_last_hash') }], found);
}

registerScreen({
  id: 'audit-log',
  roles: ['auditor'],
  label: 'audit_tab',
  wide: true,
  mount(pane) {
    const services = SERVICES.map((s) => `<option value="${s}" data-i18n="audit_${s}"></option>`).join('');
    pane.insertAdjacentHTML('beforeend', `
      <form class="filters" data-role="audit-filter">
        <label><span data-i18n="audit_service"></span> <select name="service">${services}</select></label>
        <label><span data-i18n="audit_action"></span> <input name="action" autocomplete="off" list="audit-actions"></label>
        <datalist id="audit-actions"></datalist>
        <label><span data-i18n="audit_by"></span> <input name="by" autocomplete="off"></label>
        <label><span data-i18n="audit_subject"></span> <input name="subject_id" autocomplete="off"></label>
        <label><span data-i18n="audit_outcome"></span> <select name="outcome"><option value="" data-i18n="audit_any"></option>
          <option value="done" data-i18n="audit_done"></option><option value="denied" data-i18n="audit_denied"></option></select></label>
        <label><span data-i18n="audit_since"></span> <input name="since" type="datetime-local"></label>
        <label><span data-i18n="audit_until"></span> <input name="until" type="datetime-local"></label>
        <button type="submit" data-i18n="audit_search"></button>
      </form>
      <div data-role="entries" class="scroll" tabindex="0" role="region" aria-label="${escape(t('audit_tab'))}"></div>
      <button type="button" data-role="older" data-i18n="audit_older" hidden></button>
      <h3 data-i18n="audit_chain"></h3>
      <p class="muted" data-i18n="audit_verify_help"></p>
      <button type="button" data-role="verify" data-i18n="audit_verify"></button>
      <div data-role="verification" aria-live="polite"></div>`);
    $('form[data-role=audit-filter]', pane).addEventListener('submit', (event) => { event.preventDefault(); search(pane); });
    $('[data-role=older]', pane).addEventListener('click', () => search(pane, { older: true }));
    $('[data-role=verify]', pane).addEventListener('click', () => verify(pane));
    $('select[name=service]', pane).addEventListener('change', () => actions(pane));
    search(pane);
    actions(pane);
    whenLanguageChanges(() => {
      search(pane);
      if ($('[data-role=verification]', pane).innerHTML) verify(pane);
    });
  },
});
