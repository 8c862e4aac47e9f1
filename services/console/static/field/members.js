// The people of a household in the form: one card per person, with what the registry records of
// each (names, sex, relationship, birth date or age, document, phone, the Washington Group short
// set from age 5, pregnancy, chronic illness, school). Every input sits in a <label>.
import { CHOICES, WG_DOMAINS, WG_FROM_AGE, ageOn } from '/static/field/rules.js';
import { ft, translateField } from '/static/field/words.js';

function options(values, { blank = null } = {}) {
  const first = blank ? `<option value="" data-i18n="${blank}"></option>` : '';
  return first + values.map((v) => `<option value="${v}" data-i18n="${v}"></option>`).join('');
}

function card() {
  const wg = WG_DOMAINS.map((domain) => `<label><span data-i18n="wg_${domain}"></span>
      <select data-m="wg" data-domain="${domain}"><option value="" data-i18n="not_asked"></option>
      ${[1, 2, 3, 4].map((n) => `<option value="${n}" data-i18n="wg_${n}"></option>`).join('')}</select></label>`).join('');
  return `<legend><span class="person"></span> <span class="age"></span></legend>
    <input type="hidden" data-m="id">
    <div class="grid">
      <label><span data-i18n="given_names"></span><input data-m="given_names" maxlength="200" autocomplete="off"></label>
      <label><span data-i18n="family_names"></span><input data-m="family_names" maxlength="200" autocomplete="off"></label>
      <label><span data-i18n="sex"></span><select data-m="sex">${options(CHOICES.sex)}</select></label>
      <label><span data-i18n="relationship"></span><select data-m="relationship">${options(CHOICES.relationship)}</select></label>
      <label><span data-i18n="birth_date"></span><input type="date" data-m="birth_date"></label>
      <label><span data-i18n="age_estimate"></span><input type="number" min="0" max="120" step="1" inputmode="numeric" data-m="age_estimate"></label>
      <label><span data-i18n="document_type"></span><select data-m="document_type">${options(CHOICES.document_type, { blank: 'no_document' })}</select></label>
      <label><span data-i18n="document_number"></span><input data-m="document_number" autocomplete="off"></label>
      <label><span data-i18n="phone"></span><input type="tel" data-m="phone" autocomplete="off"></label>
      <label><span data-i18n="attends_school"></span><select data-m="attends_school">
        <option value="" data-i18n="not_asked"></option><option value="true" data-i18n="yes"></option><option value="false" data-i18n="no"></option></select></label>
    </div>
    <fieldset class="wg"><legend data-i18n="functioning"></legend><p class="help" data-i18n="functioning_help"></p>
      <div class="grid">${wg}</div></fieldset>
    <label class="check pregnant"><input type="checkbox" data-m="pregnant"> <span data-i18n="pregnant"></span></label>
    <label class="check"><input type="checkbox" data-m="chronic_illness"> <span data-i18n="chronic_illness"></span></label>
    <button type="button" class="remove" data-i18n="remove_person"></button>`;
}

const q = (row, name) => row.querySelector(`[data-m=${name}]`);

/** One card's person as the API takes it (document, phone: as typed, maybe still masked). */
export function readMember(row) {
  const value = (name) => q(row, name).value.trim();
  const disability = {};
  row.querySelectorAll('[data-m=wg]').forEach((select) => {
    if (select.value) disability[select.dataset.domain] = Number(select.value);
  });
  const age = value('age_estimate');
  const documentType = q(row, 'document_type').value;
  const school = q(row, 'attends_school').value;
  return {
    id: q(row, 'id').value,
    given_names: value('given_names'),
    family_names: value('family_names'),
    sex: q(row, 'sex').value,
    relationship: q(row, 'relationship').value,
    birth_date: value('birth_date') || null,
    age_estimate: age === '' ? null : Number(age),
    document: documentType ? { type: documentType, number: value('document_number') } : null,
    phone: value('phone') || null,
    disability,
    pregnant: !q(row, 'pregnant').closest('label').hidden && q(row, 'pregnant').checked,
    chronic_illness: q(row, 'chronic_illness').checked,
    attends_school: school === '' ? null : school === 'true',
  };
}

function fill(row, member) {
  q(row, 'id').value = member.id || crypto.randomUUID();
  for (const name of ['given_names', 'family_names', 'sex', 'relationship', 'birth_date']) {
    if (member[name] != null) q(row, name).value = member[name];
  }
  q(row, 'age_estimate').value = member.age_estimate ?? '';
  // The API takes {document: {type, number}}; a household read back shows document_type/number.
  const document = member.document || (member.document_type ? { type: member.document_type, number: member.document_number } : null);
  q(row, 'document_type').value = document ? document.type : '';
  q(row, 'document_number').value = document ? document.number || '' : '';
  q(row, 'phone').value = member.phone || '';
  row.querySelectorAll('[data-m=wg]').forEach((select) => {
    select.value = (member.disability || {})[select.dataset.domain] ?? '';
  });
  q(row, 'pregnant').checked = !!member.pregnant;
  q(row, 'chronic_illness').checked = !!member.chronic_illness;
  q(row, 'attends_school').value = member.attends_school == null ? '' : String(member.attends_school);
}

/** Show the questions that apply to this person now (WG set from 5, pregnancy for women 10–55). */
export function adapt(row) {
  const member = readMember(row);
  const age = ageOn(member);
  const answered = Object.keys(member.disability).length > 0;
  row.querySelector('fieldset.wg').hidden = !answered && !(age != null && age >= WG_FROM_AGE);
  row.querySelector('label.pregnant').hidden = !(member.sex === 'female' && age != null && age >= 10 && age <= 55) && !q(row, 'pregnant').checked;
  row.querySelector('.age').textContent = age != null && age >= 0 ? `(${ft('age_now', { n: age })})` : '';
}

/** Number the cards and give each input the JSON pointer the registry's answers use. */
export function renumber(container) {
  [...container.querySelectorAll('.member')].forEach((row, i) => {
    const at = `/household/members/${i}`;
    row.dataset.pointer = at;
    row.querySelector('.person').textContent = ft('person', { n: i + 1 });
    row.querySelectorAll('[data-m]').forEach((el) => {
      const field = { document_type: 'document/type', document_number: 'document/number', wg: `disability/${el.dataset.domain}` }[el.dataset.m] || el.dataset.m;
      el.dataset.pointer = `${at}/${field}`;
    });
    row.querySelector('fieldset.wg').dataset.pointer = `${at}/disability`;
  });
}

/** Add a person's card (empty, or filled from a member) and return it. */
export function addMember(container, member = {}, onChange = () => {}) {
  const row = document.createElement('fieldset');
  row.className = 'member';
  row.innerHTML = card();
  translateField(row);
  const first = !container.querySelector('.member');
  fill(row, { sex: 'female', relationship: first ? 'head' : 'child', ...member });
  row.addEventListener('input', () => { adapt(row); onChange(); });
  row.addEventListener('change', () => { adapt(row); onChange(); });
  row.querySelector('button.remove').addEventListener('click', () => {
    row.remove();
    renumber(container);
    onChange();
  });
  container.append(row);
  renumber(container);
  adapt(row);
  return row;
}

export function readMembers(container) {
  return [...container.querySelectorAll('.member')].map(readMember);
}

export function fillMembers(container, members, onChange) {
  container.innerHTML = '';
  members.forEach((member) => addMember(container, member, onChange));
}
