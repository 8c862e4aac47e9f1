// Filing a household's grievance, for field staff and hotline operators: the household, what it
// says (in words), the alert it is about when it is about one, and a note. Transfers routes the case
// to the role that can act on it with a deadline; the same case already open is refused with its
// id, and the form links to it.
import { call } from '/static/api.js';
import { t, when } from '/static/i18n.js';
import { registerScreen } from '/static/screens.js';
import {
  ABOUT_AN_ALERT, FILERS, KINDS, word,
} from '/static/screens/grievance-common.js';
import '/static/screens/grievance-words.js';
import { $, attempt, draw, escape } from '/static/ui.js';

const FIELDS = ['household_id', 'kind', 'incident_id', 'note'];

function skeleton() {
  const kinds = KINDS.map((k) => `<option value="${k}" data-i18n="grv_kind_${k}"></option>`).join('');
  return `
    <h2 data-i18n="grv_file_title"></h2>
    <p class="muted" data-i18n="grv_file_help"></p>
    <form class="grv-file" data-role="file">
      <label><span data-i18n="grv_household"></span> <input name="household_id" required maxlength="36" autocomplete="off"></label>
      <label><span data-i18n="grv_kind"></span> <select name="kind" required>
        <option value="" data-i18n="grv_choose"></option>${kinds}</select></label>
      <label><span data-i18n="grv_alert_id"></span> <input name="incident_id" maxlength="36" autocomplete="off" aria-describedby="grv-alert-help"></label>
      <p class="muted" id="grv-alert-help" data-i18n="grv_alert_help"></p>
      <label><span data-i18n="grv_file_note"></span> <textarea name="note" rows="3" maxlength="4000"></textarea></label>
      <button type="submit" data-i18n="grv_file_button"></button>
    </form>
    <div role="status" data-role="filed"></div>
    <div data-role="existing"></div>`;
}

// The alert is required for the kinds about an alert (the browser asks for it before sending).
function alertNeeded(form) {
  form.incident_id.required = ABOUT_AN_ALERT.includes(form.kind.value);
}

function filedHtml(found) {
  return `<p class="ok">${escape(t('grv_filed_ok'))}: ${escape(word('grv_kind_', found.kind))} —
    ${escape(t('grv_assigned'))} ${escape(word('grv_role_', found.assigned_role))}, ${escape(t('grv_due_by'))} ${escape(when(found.due_at))}
    <button type="button" data-open-case="${escape(found.id)}">${escape(t('grv_open_case'))}</button></p>`;
}

async function file(pane, form) {
  const filed = $('[data-role=filed]', pane);
  const existing = $('[data-role=existing]', pane);
  filed.innerHTML = '';
  existing.innerHTML = '';
  FIELDS.forEach((name) => form[name].removeAttribute('aria-invalid'));
  const body = { household_id: form.household_id.value.trim(), kind: form.kind.value };
  if (form.incident_id.value.trim()) body.incident_id = form.incident_id.value.trim();
  if (form.note.value.trim()) body.note = form.note.value.trim();
  let refused = null;
  const found = await attempt(async () => {
    try {
      return await call('transfers', '/v1/grievances', { method: 'POST', json: body });
    } catch (error) {
      refused = error;
      throw error;
    }
  });
  if (found) {
    form.reset();
    alertNeeded(form);
    draw(filed, () => filedHtml(found));
    return;
  }
  const problem = refused?.problem || {};
  for (const named of problem.errors || []) {
    const field = String(named.pointer || named.field || '').replace(/^\//, '');
    if (FIELDS.includes(field)) form[field].setAttribute('aria-invalid', 'true');
  }
  if (refused?.status === 409 && problem.grievance_id) {
    draw(existing, () => `<p>${escape(t('grv_already_open'))}
      <button type="button" data-open-case="${escape(problem.grievance_id)}">${escape(t('grv_open_existing'))}</button></p>`);
  }
}

registerScreen({
  id: 'grievance-file',
  roles: FILERS,
  label: 'grv_file_tab',
  wide: true,
  mount(pane) {
    pane.insertAdjacentHTML('beforeend', skeleton());
    const form = $('form[data-role=file]', pane);
    form.kind.addEventListener('change', () => alertNeeded(form));
    form.addEventListener('input', (event) => event.target.removeAttribute?.('aria-invalid'));
    form.addEventListener('submit', (event) => { event.preventDefault(); file(pane, form); });
  },
  // A household chosen on another screen.
  open(pane, what = {}) {
    const form = $('form[data-role=file]', pane);
    if (what.household_id) form.household_id.value = what.household_id;
    form.kind.focus();
  },
});
