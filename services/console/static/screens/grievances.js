// Grievances: the cases of the person's jurisdiction, open first and earliest deadline first, with
// the overdue ones marked; a case with what transfers and alerts could say of the household (the
// summary in the page's language, holds, distance from the alert's areas, decisions, payments) and
// every step it took; and, for whoever resolves it, the outcomes their roles can take, handing it on
// to another role and asking its explanation again. Transfers decides each of them: a refusal is
// shown in its own words, beside the case.
import { call, session } from '/static/api.js';
import { language, money, number, t, translate, when } from '/static/i18n.js';
import { registerScreen } from '/static/screens.js';
import {
  FILERS, KINDS, READERS, RESOLVERS, outcomesFor, word,
} from '/static/screens/grievance-common.js';
import '/static/screens/grievance-words.js';
import '/static/screens/programme-words.js';
import { $, attempt, draw, escape, showError, table } from '/static/ui.js';

const CHANNELS = ['bank_account', 'mobile_money', 'cash_pickup'];
const LIMIT = 200;

let listed = 0; // only the latest list asked for is drawn

function skeleton() {
  const kinds = KINDS.map((k) => `<option value="${k}" data-i18n="grv_kind_${k}"></option>`).join('');
  const mine = session.has(...RESOLVERS)
    ? '<label><input type="checkbox" name="mine"> <span data-i18n="grv_mine"></span></label>' : '';
  return `
    <h2 data-i18n="grv_title"></h2>
    <form class="filters" data-role="filters">
      <label><span data-i18n="grv_state"></span> <select name="state">
        <option value="" data-i18n="grv_any"></option><option value="open" data-i18n="grv_state_open"></option>
        <option value="resolved" data-i18n="grv_state_resolved"></option></select></label>
      <label><span data-i18n="grv_kind"></span> <select name="kind"><option value="" data-i18n="grv_any"></option>${kinds}</select></label>
      <label><span data-i18n="grv_household"></span> <input name="household_id" maxlength="36" autocomplete="off"></label>
      ${mine}
      <button type="submit" data-i18n="grv_show"></button>
    </form>
    <div data-role="list" aria-live="polite"></div>
    <section class="grv-case" data-role="case" tabindex="-1" aria-labelledby="grv-case-title" hidden>
      <div data-role="facts"></div>
      <p class="error" role="alert" data-role="case-error"></p>
      <div data-role="actions"></div>
    </section>`;
}

// -- the list ----------------------------------------------------------------------------------

function deadline(found) {
  const mark = found.overdue ? ` <strong class="grv-overdue" data-role="overdue">⚠ ${escape(t('grv_overdue'))}</strong>` : '';
  return `${escape(when(found.due_at))}${mark}`;
}

function stateOf(found) {
  return `<span class="state" data-state="${escape(found.state)}">${escape(word('grv_state_', found.state))}</span>`;
}

function listHtml(cases) {
  if (!cases.length) return `<p class="muted">${escape(t('grv_none'))}</p>`;
  const rows = cases.map((c) => [
    deadline(c), stateOf(c), escape(word('grv_kind_', c.kind)), `<code>${escape(c.household_id)}</code>`,
    escape(c.admin_code), escape(word('grv_role_', c.assigned_role)), escape(when(c.filed_at)),
    `<button type="button" data-case="${escape(c.id)}" aria-label="${escape(`${t('grv_open')}: ${word('grv_kind_', c.kind)}, ${c.household_id}`)}">${escape(t('grv_open'))}</button>`,
  ]);
  const headers = [{ label: t('grv_due') }, { label: t('grv_state') }, { label: t('grv_kind') }, { label: t('grv_household') },
    { label: t('grv_area') }, { label: t('grv_assigned') }, { label: t('grv_filed') }, { label: '' }];
  return `<div class="scroll" tabindex="0" role="region" aria-label="${escape(t('grv_list'))}">${table(headers, rows)}</div>`;
}

// Open first, earliest deadline first (as transfers sorts one list; several are merged here).
const order = (a, b) => (a.state === 'open') !== (b.state === 'open') ? (a.state === 'open' ? -1 : 1) : a.due_at.localeCompare(b.due_at);

async function load(pane) {
  const asked = ++listed;
  const form = $('form[data-role=filters]', pane);
  const query = new URLSearchParams({ limit: LIMIT });
  for (const name of ['state', 'kind', 'household_id']) {
    const value = form[name].value.trim();
    if (value) query.set(name, value);
  }
  const path = (role) => `/v1/grievances?${query}${role ? `&assigned_role=${role}` : ''}`;
  const roles = form.mine?.checked ? RESOLVERS.filter((r) => session.has(r)) : [null];
  const answers = await attempt(() => Promise.all(roles.map((role) => call('transfers', path(role)))));
  if (!answers || asked !== listed) return;
  const cases = answers.flat().sort(order);
  draw($('[data-role=list]', pane), () => listHtml(cases));
}

// -- a case ------------------------------------------------------------------------------------

function facts(found) {
  const rows = [
    [t('grv_household'), `<code>${escape(found.household_id)}</code>`], [t('grv_area'), escape(found.admin_code)],
    [t('grv_channel'), escape(word('grv_channel_', found.channel))],
    [t('grv_filed_by'), `${escape(found.filed_by)} · ${escape(when(found.filed_at))}`],
    [t('grv_assigned'), escape(word('grv_role_', found.assigned_role))],
    [t('grv_due'), `<span data-role="due">${deadline(found)}</span>`],
    [t('grv_alert'), found.incident_id ? `<code>${escape(found.incident_id)}</code>` : '—'],
  ];
  if (found.programme_id) rows.push([t('grv_programme'), `<code>${escape(found.programme_id)}</code>`]);
  if (found.note) rows.push([t('grv_note'), escape(found.note)]);
  if (found.state === 'resolved') {
    rows.push([t('grv_outcome'), `<span data-role="outcome">${escape(word('grv_outcome_', found.outcome))}</span>`]);
    if (found.outcome_note) rows.push([t('grv_outcome_note'), escape(found.outcome_note)]);
    rows.push([t('grv_resolved_by'), `${escape(found.resolved_by)} · ${escape(when(found.resolved_at))}`]);
  }
  return `<dl class="grv-facts">${rows.map(([k, v]) => `<dt>${escape(k)}</dt><dd>${v}</dd>`).join('')}</dl>`;
}

function hold(text) {
  if (text === 'recorded consent does not cover emergency transfers') return t('grv_hold_consent');
  const duplicate = 'probable duplicate under review: ';
  if (text.startsWith(duplicate)) return `${t('grv_hold_duplicate')}: ${text.slice(duplicate.length)}`;
  return text;
}

function distance(found) {
  const d = found.explanation?.distance;
  const exposed = found.explanation?.exposed || [];
  const where = exposed.length
    ? `<p>${escape(t('grv_exposed'))}: ${exposed.map((e) => `${escape(t('grv_band'))} ${escape(e.band)}`).join(', ')}</p>` : '';
  let said;
  if (!d) said = t('grv_distance_none');
  else if ('unavailable' in d) said = `${t('grv_distance_unavailable')}: ${d.unavailable}`;
  else if (d.located === false) said = t('grv_distance_unlocated');
  else if (d.inside) said = t('grv_distance_inside');
  else if (d.nearest) said = `${t('grv_distance_nearest')} ${d.nearest.area}, ${number(d.nearest.distance_km, { maximumFractionDigits: 1 })} ${t('grv_km')}`;
  else said = t('grv_distance_none');
  return `${where}<p data-role="distance">${escape(said)}</p>`;
}

function decisions(found, currency) {
  const made = found.explanation?.decisions || [];
  if (!made.length) return `<p class="muted">${escape(t('grv_no_decisions'))}</p>`;
  const lang = language();
  const rows = made.map((d) => [
    `${escape(d.programme)} (v${escape(d.programme_version)})`,
    `<span class="state">${escape(word('programme_status_', d.status))}</span>`,
    currency ? money(d.amount, currency) : escape(number(Number(d.amount))),
    `<ul class="why">${(d.explanation?.[lang] || d.explanation?.en || []).map((line) => `<li>${escape(line)}</li>`).join('')}</ul>`,
  ]);
  return `<div class="scroll" tabindex="0" role="region" aria-label="${escape(t('grv_decisions'))}">${table(
    [{ label: t('grv_programme') }, { label: t('grv_decision') }, { label: t('grv_amount'), n: true }, { label: t('grv_why') }], rows)}</div>`;
}

function payments(found) {
  const paid = found.explanation?.payments || [];
  if (!paid.length) return `<p class="muted">${escape(t('grv_no_payments'))}</p>`;
  return `<div class="scroll" tabindex="0" role="region" aria-label="${escape(t('grv_payments'))}">${table(
    [{ label: t('grv_e2e') }, { label: t('grv_payment_state') }, { label: t('grv_amount'), n: true }, { label: t('grv_reason') }],
    paid.map((p) => [`<code>${escape(p.end_to_end_id)}</code>`, `<span class="state">${escape(p.state)}</span>`,
      p.currency ? money(p.amount, p.currency) : escape(p.amount), escape(p.reason || '')]))}</div>`;
}

function step(action) {
  const [what, about] = String(action).split(':');
  if (what === 'assigned') return `${t('grv_step_assigned')} ${word('grv_role_', about)}`;
  if (what === 'resolved') return `${t('grv_step_resolved')} ${word('grv_outcome_', about)}`;
  if (what === 'filed' || what === 'explained') return t(`grv_step_${what}`);
  return action;
}

function steps(found) {
  return `<div class="scroll" tabindex="0" role="region" aria-label="${escape(t('grv_steps'))}">${table(
    [{ label: t('grv_when') }, { label: t('grv_who') }, { label: t('grv_role') }, { label: t('grv_what') }, { label: t('grv_note') }],
    (found.steps || []).map((s) => [escape(when(s.at)), escape(s.by), escape(word('grv_role_', s.role)),
      `<span data-action="${escape(s.action)}">${escape(step(s.action))}</span>`, escape(s.note || '')]))}</div>`;
}

function outcomeDetail(found) {
  const detail = found.outcome_detail || {};
  const said = [];
  if (detail.reissued?.length) said.push([t('grv_reissued'), detail.reissued.map((e) => `<code>${escape(e)}</code>`).join(', ')]);
  if (detail.batches?.length) said.push([t('grv_new_batches'), detail.batches.map((b) => `<code>${escape(b)}</code>`).join(', ')]);
  if (detail.household_version != null) said.push([t('grv_version_taken'), escape(detail.household_version)]);
  if (detail.household?.length) {
    said.push([t('grv_decided_now'), detail.household.map((h) => escape(word('programme_status_', h.status))).join(', ')]);
  }
  if (detail.note) said.push([t('grv_note'), escape(detail.note)]);
  return said.length ? `<h4>${escape(t('grv_detail'))}</h4><dl class="grv-facts">${said.map(([k, v]) => `<dt>${escape(k)}</dt><dd>${v}</dd>`).join('')}</dl>` : '';
}

function caseHtml(found) {
  const explained = found.explanation || {};
  const summary = explained.summary?.[language()] || explained.summary?.en || [];
  const holds = explained.holds || [];
  const currency = (explained.payments || []).find((p) => p.currency)?.currency;
  return `
    <h3 id="grv-case-title">${escape(t('grv_case'))}: ${escape(word('grv_kind_', found.kind))} ${stateOf(found)}</h3>
    ${facts(found)}
    ${found.state === 'resolved' ? outcomeDetail(found) : ''}
    <h4>${escape(t('grv_summary'))}</h4>
    ${summary.length ? `<ul class="why" data-role="summary">${summary.map((line) => `<li>${escape(line)}</li>`).join('')}</ul>`
      : `<p class="muted" data-role="summary">${escape(t('grv_no_summary'))}</p>`}
    <h4>${escape(t('grv_holds'))}</h4>
    ${holds.length ? `<ul data-role="holds">${holds.map((h) => `<li>${escape(hold(h))}</li>`).join('')}</ul>`
      : `<p class="muted" data-role="holds">${escape(t('grv_no_holds'))}</p>`}
    <h4>${escape(t('grv_distance'))}</h4>${distance(found)}
    <h4>${escape(t('grv_decisions'))}</h4>${decisions(found, currency)}
    <h4>${escape(t('grv_payments'))}</h4>${payments(found)}
    <h4>${escape(t('grv_steps'))}</h4>${steps(found)}`;
}

// The forms are built once per case shown, their words from data-i18n: a language change relabels
// them and keeps what is being typed.
function resolveForm(found) {
  const signedIn = session.get();
  if (signedIn && signedIn.username === found.filed_by) return '<p class="muted" data-i18n="grv_own_case"></p>';
  const outcomes = outcomesFor(found);
  if (!outcomes.length) return '<p class="muted" data-i18n="grv_no_outcome"></p>';
  const channels = CHANNELS.map((c) => `<option value="${c}">${escape(c)}</option>`).join('');
  return `<form data-role="resolve"><fieldset><legend data-i18n="grv_resolve"></legend>
    ${outcomes.map((o) => `<label class="grv-outcome"><input type="radio" name="outcome" value="${o}" required>
      <span data-i18n="grv_outcome_${o}"></span> <span class="muted" data-i18n="grv_help_${o}"></span></label>`).join('')}
    ${outcomes.includes('reissue') ? `<label><span data-i18n="grv_reissue_channel"></span>
      <select name="channel_type"><option value="" data-i18n="grv_same_channel"></option>${channels}</select></label>` : ''}
    <label><span data-i18n="grv_note_why"></span> <textarea name="note" rows="2" maxlength="4000"></textarea></label>
    <button type="submit" data-i18n="grv_resolve_button"></button></fieldset></form>`;
}

function handOnForm(found) {
  if (!session.has(found.assigned_role, 'programme_officer')) return '';
  const roles = RESOLVERS.filter((r) => r !== found.assigned_role)
    .map((r) => `<option value="${r}" data-i18n="grv_role_${r}"></option>`).join('');
  return `<form data-role="hand-on"><fieldset><legend data-i18n="grv_hand_on"></legend>
    <label><span data-i18n="grv_hand_to"></span> <select name="role" required>${roles}</select></label>
    <label><span data-i18n="grv_hand_note"></span> <input name="note" required minlength="3" maxlength="4000" autocomplete="off"></label>
    <button type="submit" data-i18n="grv_hand_button"></button></fieldset></form>`;
}

function actionsHtml(found) {
  const open = found.state === 'open';
  const resolving = open && session.has(...RESOLVERS);
  // Asked again by those who file and resolve cases (approvers and auditors read them as they are).
  const explaining = session.has(...FILERS, ...RESOLVERS)
    ? '<p><button type="button" data-role="explain" data-i18n="grv_explain_again"></button></p>' : '';
  return `${resolving ? resolveForm(found) + handOnForm(found) : ''}${explaining}`;
}

function showCase(pane, found) {
  const section = $('[data-role=case]', pane);
  section.hidden = false;
  section.dataset.case = found.id;
  section.dataset.state = found.state;
  draw($('[data-role=facts]', section), () => caseHtml(found));
  const actions = $('[data-role=actions]', section);
  actions.innerHTML = actionsHtml(found);
  translate(actions);
  wireActions(pane, found);
}

async function openCase(pane, id) {
  const errorIn = $('[data-role=case-error]', pane);
  const found = await attempt(() => call('transfers', `/v1/grievances/${encodeURIComponent(id)}`));
  if (!found) return;
  showError(null, errorIn);
  showCase(pane, found);
  $('[data-role=case]', pane).focus();
}

function wireActions(pane, found) {
  const section = $('[data-role=case]', pane);
  const errorIn = $('[data-role=case-error]', section);
  const changed = async (path, options) => {
    const answer = await attempt(() => call('transfers', `/v1/grievances/${encodeURIComponent(found.id)}/${path}`, { method: 'POST', ...options }), { errorIn });
    if (!answer) return;
    showCase(pane, answer);
    await load(pane);
  };
  const resolve = $('form[data-role=resolve]', section);
  if (resolve) {
    const note = resolve.note;
    const chosen = () => resolve.querySelector('input[name=outcome]:checked')?.value;
    resolve.addEventListener('change', () => {
      // Checked here rather than by the browser: the message is then in the console's language.
      note.setAttribute('aria-required', String(chosen() === 'decision_stands'));
      note.removeAttribute('aria-invalid');
    });
    resolve.addEventListener('submit', (event) => {
      event.preventDefault();
      const outcome = chosen();
      if (!outcome) return;
      const said = note.value.trim();
      if (outcome === 'decision_stands' && !said) {
        note.setAttribute('aria-invalid', 'true');
        note.focus();
        showError(new Error(t('grv_note_needed')), errorIn);
        return;
      }
      const body = { outcome };
      if (said) body.note = said;
      if (resolve.channel_type?.value && outcome === 'reissue') body.channel_type = resolve.channel_type.value;
      changed('resolution', { json: body, idempotent: true });
    });
  }
  const handOn = $('form[data-role=hand-on]', section);
  handOn?.addEventListener('submit', (event) => {
    event.preventDefault();
    changed('assignment', { json: { role: handOn.role.value, note: handOn.note.value.trim() } });
  });
  $('[data-role=explain]', section)?.addEventListener('click', () => changed('explanation', {}));
}

// -- the screen --------------------------------------------------------------------------------

registerScreen({
  id: 'grievances',
  roles: READERS,
  label: 'grv_tab',
  wide: true,
  mount(pane) {
    pane.insertAdjacentHTML('beforeend', skeleton());
    $('form[data-role=filters]', pane).addEventListener('submit', (event) => { event.preventDefault(); load(pane); });
    pane.addEventListener('click', (event) => {
      const button = event.target.closest('button[data-case]');
      if (button) openCase(pane, button.dataset.case);
    });
    load(pane);
  },
  refresh(pane) { return load(pane); },
  // A household's cases (from a screen showing the household), or one case.
  open(pane, what = {}) {
    if (what.household_id) {
      const form = $('form[data-role=filters]', pane);
      form.reset();
      form.household_id.value = what.household_id;
      $('[data-role=case]', pane).hidden = true;
      load(pane);
    }
    if (what.case) openCase(pane, what.case);
  },
});
