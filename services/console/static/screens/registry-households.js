// The registry officer's households: find one by the head's name, its registration number or its
// id, read it (documents and phones as the registry shows them to this role) and its history,
// version by version: who changed what, when.
import { registerScreen } from '/static/screens.js';
import { $, attempt, draw, escape, table } from '/static/ui.js';
import { call } from '/static/api.js';
import { number, t, when } from '/static/i18n.js';
import { grievanceLinks } from '/static/screens/grievance-common.js';
import { membersTable, scrolling } from '/static/screens/registry-people.js';
import '/static/screens/registry-households-words.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PAGE = 50;

function value(v) {
  if (v == null) return '—';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function history(entries) {
  const rows = [...entries].reverse().map((e) => [
    escape(e.version),
    escape(when(e.changed_at)),
    escape(e.changed_by),
    `<ul class="reg-changes">${e.changes.map((c) => `<li><code>${escape(c.path)}</code>: ${escape(value(c.old))} → ${escape(value(c.new))}</li>`).join('')}</ul>`,
  ]);
  const headers = [{ label: t('reg_p_version'), n: true }, { label: t('reg_hh_when') }, { label: t('reg_hh_who') }, { label: t('reg_hh_changes') }];
  return scrolling(table(headers, rows), t('reg_hh_history'));
}

function messages(log) {
  if (!log.messages.length) return `<p class="muted">${escape(t('reg_hh_no_messages'))}</p>`;
  const rows = [...log.messages].reverse().map((m) => [
    escape(when(m.requested_at)), escape(t(`reg_hh_kind_${m.kind}`)), `<span class="state">${escape(m.status)}</span>`,
    escape(m.to || '—'), escape(m.reason || ''), escape(m.text),
  ]);
  const headers = [{ label: t('reg_hh_when') }, { label: t('reg_hh_kind') }, { label: t('reg_hh_status') },
    { label: t('reg_hh_to') }, { label: t('reg_hh_why') }, { label: t('reg_hh_text_sent') }];
  return (log.opted_out ? `<p data-role="opted-out">${escape(t('reg_hh_opted_out'))}</p>` : '')
    + scrolling(table(headers, rows), t('reg_hh_messages'));
}

function erasureForm(household) {
  if (household.status === 'inactive' && household.members.every((m) => m.given_names === '(erased)')) {
    return `<p class="muted" data-role="erased">${escape(t('reg_hh_erased'))}</p>`;
  }
  return `<form class="reg-hh-erase" data-id="${escape(household.id)}">
      <h4>${escape(t('reg_hh_erase_title'))}</h4>
      <p class="muted">${escape(t('reg_hh_erase_help'))}</p>
      <label><span>${escape(t('reg_hh_erase_reference'))}</span> <input name="reference" required minlength="3" maxlength="255"></label>
      <label><input type="checkbox" name="location"> <span>${escape(t('reg_hh_erase_location'))}</span></label>
      <label><input type="checkbox" name="sure" required> <span>${escape(t('reg_hh_erase_sure'))}</span></label>
      <button type="submit">${escape(t('reg_hh_erase_button'))}</button>
    </form>`;
}

async function erase(pane, form) {
  const body = { reference: form.reference.value.trim(), location: form.location.checked };
  const done = await attempt(() => call('registry', `/v1/households/${encodeURIComponent(form.dataset.id)}/erasure`, { method: 'POST', json: body }));
  if (done) await open(pane, form.dataset.id);
}

async function open(pane, id) {
  const household = await attempt(() => call('registry', `/v1/households/${encodeURIComponent(id)}`));
  if (!household) return;
  const entries = await attempt(() => call('registry', `/v1/households/${encodeURIComponent(id)}/history`));
  if (!entries) return;
  const log = await attempt(() => call('registry', `/v1/households/${encodeURIComponent(id)}/messages`));
  if (!log) return;
  const facts = () => [
    [t('reg_p_number'), household.registration_number], [t('reg_p_area'), household.admin_code],
    [t('reg_p_status'), household.status], [t('reg_p_size'), number(household.size)],
    [t('reg_p_address'), household.address || '—'], [t('reg_p_version'), household.version],
    [t('reg_hh_registered'), `${when(household.registered_at)} (${household.registration_source})`],
  ];
  draw($('.reg-hh-detail', pane), () => `
    <h3>${escape(household.registration_number)}</h3>
    <dl class="reg-counts">${facts().map(([k, v]) => `<dt>${escape(k)}</dt><dd>${escape(v)}</dd>`).join('')}</dl>
    ${grievanceLinks(household.id)}
    <h4>${escape(t('reg_p_members'))}</h4>${membersTable(household)}
    <h4>${escape(t('reg_hh_history'))}</h4>${history(entries)}
    <h4>${escape(t('reg_hh_messages'))}</h4>${messages(log)}
    ${erasureForm(household)}`);
}

async function search(pane, form) {
  const text = form.text.value.trim();
  $('.reg-hh-detail', pane).innerHTML = '';
  if (UUID.test(text)) { $('.reg-hh-results', pane).innerHTML = ''; await open(pane, text); return; }
  const query = new URLSearchParams({ text, limit: PAGE });
  if (form.area.value.trim()) query.set('admin_code', form.area.value.trim().toUpperCase());
  const page = await attempt(() => call('registry', `/v1/households?${query}`));
  if (!page) return;
  if (!page.items.length) { draw($('.reg-hh-results', pane), () => `<p>${escape(t('reg_hh_none'))}</p>`); return; }
  const rows = () => page.items.map((h) => [
    `<button type="button" class="reg-hh-open" data-id="${escape(h.id)}">${escape(h.registration_number)}</button>`,
    escape(h.head_name || '—'), escape(h.admin_code), escape(number(h.size)), escape(h.status), escape(h.version),
  ]);
  const headers = () => [{ label: t('reg_p_number') }, { label: t('reg_p_head') }, { label: t('reg_p_area') }, { label: t('reg_p_size'), n: true }, { label: t('reg_p_status') }, { label: t('reg_p_version'), n: true }];
  const more = () => (page.next_cursor ? `<p class="muted">${escape(t('reg_hh_more'))}</p>` : '');
  draw($('.reg-hh-results', pane), () => scrolling(table(headers(), rows()), t('reg_hh_found')) + more());
}

function mount(pane) {
  pane.insertAdjacentHTML('beforeend', `
    <form class="reg-hh-search">
      <label><span data-i18n="reg_hh_text"></span> <input name="text" minlength="2" maxlength="100" required></label>
      <label><span data-i18n="reg_hh_area"></span> <input name="area" maxlength="20"></label>
      <button type="submit" data-i18n="reg_hh_search"></button>
    </form>
    <div class="reg-hh-results"></div>
    <section class="reg-hh-detail" aria-live="polite"></section>`);
  $('.reg-hh-search', pane).addEventListener('submit', (event) => { event.preventDefault(); search(pane, event.target); });
  pane.addEventListener('submit', (event) => {
    if (!event.target.matches('.reg-hh-erase')) return;
    event.preventDefault();
    erase(pane, event.target);
  });
  pane.addEventListener('click', (event) => {
    const button = event.target.closest('.reg-hh-open');
    if (button) open(pane, button.dataset.id);
  });
}

registerScreen({ id: 'registry-households', roles: ['registry_officer'], label: 'reg_hh_tab', wide: true, mount });
