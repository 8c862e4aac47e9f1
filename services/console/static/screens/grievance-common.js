// What the grievance screens share with each other and with every screen that shows a household:
// the kinds, outcomes and roles as transfers has them (services/transfers/domain/grievances.py), their
// words, and the links from a household to its grievances and to filing one. The transfers service
// still decides every call; these only keep a person from being offered what their roles cannot do.
import { session } from '/static/api.js';
import { t } from '/static/i18n.js';
import { openScreen } from '/static/screens.js';
import { escape } from '/static/ui.js';
import '/static/screens/grievance-words.js';

export const KINDS = ['not_exposed', 'not_eligible', 'wrong_amount', 'not_received', 'not_a_duplicate', 'data_wrong'];
// Kinds about one alert's decision: the case names the alert.
export const ABOUT_AN_ALERT = ['not_exposed', 'not_eligible', 'wrong_amount', 'not_received'];

export const FILERS = ['field_staff', 'hotline_operator'];
export const RESOLVERS = ['programme_officer', 'payments_officer', 'registry_officer'];
export const READERS = [...FILERS, ...RESOLVERS, 'approver', 'auditor'];

// Each outcome: the role that takes it (null: the role the case is assigned to) and the kinds it answers.
export const OUTCOMES = {
  decide_again: ['programme_officer', ['not_exposed', 'not_eligible', 'wrong_amount']],
  reissue: ['payments_officer', ['not_received']],
  correct_record: ['registry_officer', ['data_wrong', 'not_eligible', 'wrong_amount']],
  release_hold: ['registry_officer', ['not_a_duplicate', 'not_eligible']],
  decision_stands: [null, KINDS],
};

// The outcomes the signed-in person's roles may take on this case.
export function outcomesFor(found) {
  return Object.entries(OUTCOMES)
    .filter(([, [role, kinds]]) => kinds.includes(found.kind) && session.has(role || found.assigned_role))
    .map(([outcome]) => outcome);
}

// A code in words (`grv_kind_` + `data_wrong`), or the code itself when there are none for it.
export function word(prefix, code) {
  if (code == null || code === '') return '—';
  const key = `${prefix}${code}`;
  const said = t(key);
  return said === key ? String(code) : said;
}

// Buttons to a household's grievances and to filing one, for whoever may (empty otherwise). Their
// words are written in, not marked data-i18n: screens draw them with ui.js draw(), which draws again
// in the other language only what no one has changed since (translate() relabelling them would).
export function grievanceLinks(householdId) {
  if (!householdId) return '';
  const id = escape(householdId);
  const links = [];
  if (session.has(...READERS)) {
    links.push(`<button type="button" data-grievances-of="${id}">${escape(t('grv_of_household'))}</button>`);
  }
  if (session.has(...FILERS)) {
    links.push(`<button type="button" data-grievance-for="${id}">${escape(t('grv_file_for'))}</button>`);
  }
  return links.length ? `<p class="grv-links">${links.join(' ')}</p>` : '';
}

document.addEventListener('click', (event) => {
  const cases = event.target.closest('[data-grievances-of]');
  if (cases) openScreen('grievances', { household_id: cases.dataset.grievancesOf });
  const filing = event.target.closest('[data-grievance-for]');
  if (filing) openScreen('grievance-file', { household_id: filing.dataset.grievanceFor });
  const opened = event.target.closest('[data-open-case]');
  if (opened) openScreen('grievances', { case: opened.dataset.openCase });
});
