// The registry officer's duplicate queue: each probable duplicate side by side (the people, their
// documents masked, the distance between the homes, the registry's reasons) and the decision:
// merge (choosing whom the staying household keeps), not a duplicate, or remove a person.
import { registerScreen } from '/static/screens.js';
import { $, attempt, draw, escape, table } from '/static/ui.js';
import { call } from '/static/api.js';
import { number, t } from '/static/i18n.js';
import { fullName, kilometres, membersTable, reason, say, scrolling } from '/static/screens/registry-people.js';
import '/static/screens/registry-duplicates-words.js';

let listed = []; // the open pairs shown
let pair = null; // { candidate, a, b } being compared

async function queue(pane) {
  const candidates = await attempt(() => call('registry', '/v1/duplicates?status=open&limit=100'));
  if (!candidates) return;
  if (!candidates.length) { draw($('.reg-dup-list', pane), () => `<p>${escape(t('reg_dup_none'))}</p>`); return; }
  const rows = () => candidates.map((c) => [
    escape(number(c.score)),
    escape(c.reasons.map(reason).join(', ')),
    escape(c.admin_code_a === c.admin_code_b ? c.admin_code_a : `${c.admin_code_a} / ${c.admin_code_b}`),
    `<button type="button" class="reg-dup-open" data-id="${escape(c.id)}">${escape(t('reg_dup_review'))}</button>`,
  ]);
  const headers = () => [{ label: t('reg_dup_score'), n: true }, { label: t('reg_dup_reasons') }, { label: t('reg_dup_areas') }, { label: t('reg_dup_pair') }];
  draw($('.reg-dup-list', pane), () => scrolling(table(headers(), rows()), t('reg_dup_queue')));
  listed = candidates;
}

function side(household, heading, marked) {
  return `<article class="reg-household" data-household="${escape(household.id)}">
    <h4>${escape(heading)}: ${escape(household.registration_number)}</h4>
    <p class="muted">${escape(household.admin_code)}${household.address ? ` — ${escape(household.address)}` : ''}</p>
    ${membersTable(household, { marked, mask: true })}
  </article>`;
}

function option(value, label, selected = false) {
  return `<option value="${escape(value)}"${selected ? ' selected' : ''}>${escape(label)}</option>`;
}

// For a merge: what becomes of each person of the household that is not kept.
function mergeChoices(form) {
  const kept = form.keep.value === pair.a.id ? pair.a : pair.b;
  const other = kept === pair.a ? pair.b : pair.a;
  $('.reg-dup-members', form).innerHTML = other.members.map((m, i) => `
    <label for="reg-dup-member-${i}">${escape(fullName(m))}</label>
    <select id="reg-dup-member-${i}" data-member="${escape(m.id)}">
      ${option('', t('reg_dup_stays'))}${option('moves', t('reg_dup_moves'))}
      ${kept.members.map((k) => option(k.id, say('reg_dup_same', fullName(k)))).join('')}
    </select>`).join('');
}

// For removing a person: the people of the household they leave, and who may become head.
function removeChoices(form) {
  const household = form.household.value === pair.a.id ? pair.a : pair.b;
  $('.reg-dup-leavers', form).innerHTML = household.members.map((m) => `
    <label><input type="checkbox" name="remove" value="${escape(m.id)}"> ${escape(fullName(m))}</label>`).join('');
  form.new_head.innerHTML = option('', t('reg_dup_nobody')) + household.members.map((m) => option(m.id, fullName(m))).join('');
}

function decisionForm() {
  const households = [[pair.a, t('reg_dup_first')], [pair.b, t('reg_dup_second')]];
  const choice = () => households.map(([h, label], i) => option(h.id, `${label}: ${h.registration_number}`, i === 0)).join('');
  return `<form class="reg-dup-decide">
    <fieldset><legend>${escape(t('reg_dup_decision'))}</legend>
      <label><input type="radio" name="decision" value="merge" checked> ${escape(t('reg_dup_merge'))}</label>
      <label><input type="radio" name="decision" value="dismiss"> ${escape(t('reg_dup_dismiss'))}</label>
      <label><input type="radio" name="decision" value="remove_members"> ${escape(t('reg_dup_remove'))}</label>
    </fieldset>
    <fieldset class="reg-dup-for" data-for="merge"><legend>${escape(t('reg_dup_merge'))}</legend>
      <label>${escape(t('reg_dup_keep'))} <select name="keep">${choice()}</select></label>
      <p>${escape(t('reg_dup_choose'))}</p><div class="reg-dup-members"></div>
    </fieldset>
    <fieldset class="reg-dup-for" data-for="remove_members" hidden><legend>${escape(t('reg_dup_remove'))}</legend>
      <label>${escape(t('reg_dup_leaves'))} <select name="household">${choice()}</select></label>
      <p>${escape(t('reg_dup_who_leaves'))}</p><div class="reg-dup-leavers"></div>
      <label>${escape(t('reg_dup_new_head'))} <select name="new_head"></select></label>
    </fieldset>
    <label>${escape(t('reg_dup_comment'))} <textarea name="comment" rows="2" maxlength="2000"></textarea></label>
    <button type="submit">${escape(t('reg_dup_decide'))}</button>
  </form>`;
}

function decision(form) {
  const chosen = form.decision.value;
  const body = { decision: chosen, comment: form.comment.value || null };
  if (chosen === 'merge') {
    body.keep = form.keep.value;
    body.members = [...form.querySelectorAll('[data-member]')].filter((s) => s.value).map((s) => (
      s.value === 'moves' ? { id: s.dataset.member } : { id: s.dataset.member, same_as: s.value, survives: s.value }
    ));
  } else if (chosen === 'remove_members') {
    body.household = form.household.value;
    body.remove = [...form.querySelectorAll('[name=remove]:checked')].map((c) => c.value);
    if (form.new_head.value) body.new_head = form.new_head.value;
  }
  return body;
}

async function compare(pane, candidate) {
  const [a, b] = await Promise.all([candidate.household_a, candidate.household_b].map(
    (id) => attempt(() => call('registry', `/v1/households/${encodeURIComponent(id)}`)),
  ));
  if (!a || !b) return;
  pair = { candidate, a, b };
  const km = kilometres(a.location, b.location);
  $('.reg-dup-pair', pane).innerHTML = `
    <h3>${escape(t('reg_dup_pair'))} — ${escape(t('reg_dup_score'))} ${escape(number(candidate.score))}</h3>
    <p>${escape(t('reg_dup_reasons'))}: ${escape(candidate.reasons.map(reason).join(', '))}.
      ${escape(t('reg_dup_distance'))}: <strong class="reg-dup-km">${escape(km == null ? t('reg_dup_no_place') : say('reg_dup_km', number(Math.round(km * 100) / 100)))}</strong></p>
    <p class="muted">${escape(t('reg_dup_marked'))}</p>
    <div class="reg-side">${side(a, t('reg_dup_first'), candidate.member_a)}${side(b, t('reg_dup_second'), candidate.member_b)}</div>
    ${decisionForm()}
    <p class="reg-dup-result" role="status"></p>`;
  const form = $('.reg-dup-decide', pane);
  mergeChoices(form);
  removeChoices(form);
  form.addEventListener('change', (event) => {
    if (event.target.name === 'decision') {
      form.querySelectorAll('.reg-dup-for').forEach((f) => { f.hidden = f.dataset.for !== form.decision.value; });
    }
    if (event.target.name === 'keep') mergeChoices(form);
    if (event.target.name === 'household') removeChoices(form);
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const decided = await attempt(() => call('registry', `/v1/duplicates/${encodeURIComponent(candidate.id)}/decision`, { method: 'POST', json: decision(form) }));
    if (!decided) return;
    $('.reg-dup-pair', pane).innerHTML = `<p class="reg-dup-result" role="status">${escape(say('reg_dup_done', t(`reg_dup_${decided.status}`)))}</p>`;
    await queue(pane);
  });
}

function mount(pane) {
  pane.insertAdjacentHTML('beforeend', `
    <h3 data-i18n="reg_dup_queue"></h3>
    <div class="reg-dup-list"></div>
    <section class="reg-dup-pair" aria-live="polite"></section>`);
  pane.addEventListener('click', async (event) => {
    const button = event.target.closest('.reg-dup-open');
    if (!button) return;
    const candidate = listed.find((c) => c.id === button.dataset.id);
    await compare(pane, candidate);
  });
  queue(pane);
}

registerScreen({ id: 'registry-duplicates', roles: ['registry_officer'], label: 'reg_dup_tab', wide: true, mount, refresh: queue });
