// The household form, in sections (people, home, payment, damage and needs, consent) so it fits a
// phone: filled empty for a new household, from the registry's record for a change, or from a
// refused record to correct it; read back as exactly the body the registry's API takes.
import { fillAssessment, readAssessment, renderAssessment } from '/static/field/assess.js';
import { CHOICES, IDENTIFIERS, isMasked, pointerOf } from '/static/field/rules.js';
import { addMember, fillMembers, readMembers, renumber } from '/static/field/members.js';
import { ft, speechLanguage, translateField } from '/static/field/words.js';

const $ = (selector) => document.querySelector(selector);
const form = () => $('#household');
const members = () => $('#members');

/**
 * What the form is doing: registering (`new`), changing a registered household (`edit`) or
 * correcting a record held on the device (`fix`), with the record's ids and base version.
 */
let state = { mode: 'new', record: {}, consent: null, number: '' };

export function formState() {
  return state;
}

function fillChoices(select) {
  const blank = select.dataset.blank ? `<option value="" data-i18n="${select.dataset.blank}"></option>` : '';
  select.innerHTML = blank + CHOICES[select.dataset.choices].map((v) => `<option value="${v}" data-i18n="${v}"></option>`).join('');
}

function steps() {
  return [...form().querySelectorAll('.steps button')].filter((b) => !b.hidden).map((b) => b.dataset.goto);
}

export function showStep(name) {
  const order = steps();
  form().querySelectorAll('section.step').forEach((section) => { section.hidden = section.dataset.step !== name; });
  form().querySelectorAll('.steps button').forEach((b) => {
    if (b.dataset.goto === name) b.setAttribute('aria-current', 'step');
    else b.removeAttribute('aria-current');
  });
  $('#step-back').hidden = order.indexOf(name) <= 0;
  $('#step-next').hidden = order.indexOf(name) === order.length - 1;
}

function move(by) {
  const order = steps();
  const now = form().querySelector('.steps [aria-current]')?.dataset.goto || order[0];
  showStep(order[Math.min(order.length - 1, Math.max(0, order.indexOf(now) + by))]);
  form().scrollIntoView({ block: 'start' });
}

function showPaymentFields() {
  const type = form().payment_type.value;
  form().querySelectorAll('[data-for-type]').forEach((label) => {
    label.hidden = !type || !label.dataset.forType.split(' ').includes(type);
  });
}

function purposes() {
  return [...form().querySelectorAll('input[name=purpose]:checked')].map((box) => box.value);
}

/** The consent text for the purposes ticked, in the chosen language. */
export function consentText() {
  const chosen = purposes().map((p) => ft(`purpose_${p}`));
  return ft('consent_text', { purposes: chosen.length ? chosen.join('; ') : '—' });
}

function fullName(member) {
  return [member.given_names, member.family_names].filter(Boolean).join(' ');
}

// Who gave consent: one of the people on the form (the head first), or the name recorded before.
function refreshConsent() {
  const select = form().given_by;
  const chosen = select.value;
  const people = readMembers(members());
  const names = [...new Set(people.filter((m) => fullName(m)).sort((a, b) => (b.relationship === 'head') - (a.relationship === 'head')).map(fullName))];
  if (state.consent && state.consent.given_by && !names.includes(state.consent.given_by)) names.push(state.consent.given_by);
  select.innerHTML = '';
  names.forEach((name) => select.append(new Option(name, name)));
  if (names.includes(chosen)) select.value = chosen;
  else if (state.consent && names.includes(state.consent.given_by)) select.value = state.consent.given_by;
  $('#consent-text').textContent = consentText();
}

function readAloud() {
  const utterance = new SpeechSynthesisUtterance(consentText());
  utterance.lang = speechLanguage();
  window.speechSynthesis.cancel();
  window.speechSynthesis.speak(utterance);
}

function locate() {
  navigator.geolocation.getCurrentPosition(
    (position) => {
      const f = form();
      f.lat.value = position.coords.latitude.toFixed(6);
      f.lon.value = position.coords.longitude.toFixed(6);
      f.accuracy_m.value = Math.round(position.coords.accuracy);
      f.location_source.value = 'gps';
    },
    (error) => { $('#form-error').textContent = error.message; },
    { enableHighAccuracy: true, timeout: 30000 },
  );
}

/** Wire the form once; `onSave(household)` is called with the body read from it. */
export function setupForm({ onSave, onCancel }) {
  const f = form();
  f.querySelectorAll('select[data-choices]').forEach(fillChoices);
  renderAssessment($('#assessment-part'));
  f.querySelectorAll('.steps button').forEach((b) => b.addEventListener('click', () => showStep(b.dataset.goto)));
  $('#step-back').addEventListener('click', () => move(-1));
  $('#step-next').addEventListener('click', () => move(1));
  $('#add-member').addEventListener('click', () => {
    addMember(members(), {}, refreshConsent).querySelector('input[data-m=given_names]').focus();
  });
  f.payment_type.addEventListener('change', showPaymentFields);
  f.querySelectorAll('input[name=purpose]').forEach((box) => box.addEventListener('change', refreshConsent));
  $('#read-aloud').hidden = !('speechSynthesis' in window);
  $('#read-aloud').addEventListener('click', readAloud);
  $('#locate').addEventListener('click', locate);
  $('#cancel-edit').addEventListener('click', onCancel);
  f.addEventListener('submit', (event) => {
    event.preventDefault();
    onSave(readHousehold());
  });
}

/** The household on the form, as the API takes it (protected values as typed). */
export function readHousehold() {
  const f = form();
  const number = (input) => (input.value.trim() === '' ? null : Number(input.value));
  const choice = (select) => select.value || null;
  const type = f.payment_type.value;
  const identifiers = {};
  for (const name of type ? IDENTIFIERS[type] : []) {
    if (f[name].value.trim()) identifiers[name] = f[name].value.trim();
  }
  const chosen = purposes();
  const sameConsent = state.consent && state.consent.given_by === f.given_by.value
    && [...state.consent.purposes].sort().join() === [...chosen].sort().join();
  return {
    admin_code: f.admin_code.value.trim().toUpperCase(),
    location: { lat: number(f.lat), lon: number(f.lon), accuracy_m: number(f.accuracy_m), source: f.location_source.value },
    address: f.address.value.trim() || null,
    status: state.mode === 'edit' || state.record.base_version != null ? f.status.value : 'active',
    members: readMembers(members()),
    dwelling: { wall: choice(f.wall), roof: choice(f.roof), floor: choice(f.floor), tenure: choice(f.tenure), rooms: number(f.rooms) },
    services: { water_source: choice(f.water_source), sanitation: choice(f.sanitation) },
    livelihood: { main: choice(f.livelihood_main), income_source: choice(f.income_source) },
    // Identifiers the registry did not show and the worker did not type are left out: it keeps them.
    payment: type ? { type, provider: f.provider.value.trim() || null, ...(Object.keys(identifiers).length || !state.identifiersHidden ? { identifiers } : {}) } : null,
    consent: chosen.length
      ? { given_at: sameConsent ? state.consent.given_at : new Date().toISOString(), given_by: f.given_by.value, purposes: chosen }
      : null,
  };
}

function fillHousehold(household) {
  const f = form();
  const set = (input, value) => { input.value = value == null ? '' : value; };
  set(f.admin_code, household.admin_code);
  set(f.address, household.address);
  set(f.status, household.status || 'active');
  set(f.lat, household.location?.lat);
  set(f.lon, household.location?.lon);
  set(f.accuracy_m, household.location?.accuracy_m);
  set(f.location_source, household.location?.source || 'gps');
  const parts = { dwelling: ['wall', 'roof', 'floor', 'tenure', 'rooms'], services: ['water_source', 'sanitation'] };
  for (const [part, names] of Object.entries(parts)) names.forEach((name) => set(f[name], household[part]?.[name]));
  set(f.livelihood_main, household.livelihood?.main);
  set(f.income_source, household.livelihood?.income_source);
  const payment = household.payment;
  set(f.payment_type, payment?.type);
  set(f.provider, payment?.provider);
  for (const name of Object.values(IDENTIFIERS).flat()) set(f[name], payment?.identifiers?.[name]);
  // The registry never shows field staff the identifiers on file: it keeps them unless new ones are typed.
  state.identifiersHidden = Boolean(payment && payment.identifiers == null);
  $('#identifiers-hidden').hidden = !state.identifiersHidden;
  showPaymentFields();
  f.querySelectorAll('input[name=purpose]').forEach((box) => { box.checked = !!household.consent?.purposes.includes(box.value); });
  state.consent = household.consent || null;
  fillMembers(members(), household.members?.length ? household.members : [{}], refreshConsent);
  refreshConsent();
}

function begin(mode, record, household, title) {
  clearProblems();
  state = { mode, record, consent: null, number: title };
  form().reset();
  fillHousehold(household);
  fillAssessment($('#assessment-part'), record.assessment || null);
  form().classList.toggle('editing', mode !== 'new' || record.base_version != null);
  $('#cancel-edit').hidden = mode === 'new';
  const key = mode === 'new' ? 'new_title' : record.base_version != null ? 'edit_title' : 'fix_title';
  $('#form-title').dataset.i18n = key;
  $('#form-title').textContent = ft(key, { number: title });
  showStep('people');
}

/** An empty form for a new household; `admin_code` filled in when the worker has one area. */
export function startNew(adminCode = '') {
  begin('new', {}, { admin_code: adminCode, members: [{ relationship: 'head' }], consent: null }, '');
}

/** A registered household (as the registry showed it) to change, on top of its version. */
export function startEdit(household, record = {}) {
  const base = record.base || household;
  begin('edit', { household_id: household.id, base_version: household.version, base, ...record }, household,
    household.registration_number || household.id);
}

/** A record kept on the device (refused, in conflict, or re-applied) to correct and save again. */
export function startFix(record) {
  const number = record.base?.registration_number || '';
  begin('fix', record, record.household, number);
}

/** The form as it stands, to be taken up again by `resumeDraft` (after a sign-in again, a reload). */
export function draftOfForm() {
  return {
    mode: state.mode, record: state.record, number: state.number, consent: state.consent,
    household: readHousehold(), assessment: readAssessment($('#assessment-part')), step: form().querySelector('.steps [aria-current]')?.dataset.goto || 'people',
  };
}

/** The form filled again as `draftOfForm` kept it. */
export function resumeDraft(draft) {
  begin(draft.mode, { ...draft.record, assessment: draft.assessment }, draft.household, draft.number);
  state.consent = draft.consent; // the consent on record before the form was changed, if any
  if (draft.step) showStep(draft.step);
}

export function clearProblems(root = form()) {
  root.querySelectorAll('.field-error').forEach((p) => p.remove());
  root.querySelectorAll('[aria-invalid]').forEach((el) => {
    el.removeAttribute('aria-invalid');
    el.removeAttribute('aria-describedby');
  });
  root.querySelector('.form-error').textContent = '';
}

function elementFor(root, pointer) {
  for (let path = pointer; path; path = path.slice(0, path.lastIndexOf('/'))) {
    const el = root.querySelector(`[data-pointer="${CSS.escape(path)}"]`);
    if (el) return el;
  }
  return null;
}

function note(el, pointer, message, n) {
  const p = document.createElement('p');
  p.className = 'field-error';
  p.id = `problem-${n}`;
  p.dataset.pointer = pointer;
  p.textContent = message;
  if (['FIELDSET', 'DIV'].includes(el.tagName)) {
    const legend = el.querySelector(':scope > legend');
    if (legend) legend.after(p);
    else el.prepend(p);
  } else {
    el.after(p);
    el.setAttribute('aria-invalid', 'true');
    el.setAttribute('aria-describedby', p.id);
  }
}

/**
 * Show each problem beside its field (keys: JSON pointers or the registry's dotted paths) in
 * `root` (the household form, or the damage and needs form) and open the section of the first;
 * what names no field goes above the form, with `detail`.
 */
export function showProblems(problems, detail = '', root = form()) {
  clearProblems(root);
  let first = null;
  const general = [];
  Object.entries(problems).forEach(([key, message], n) => {
    const pointer = pointerOf(key);
    const el = elementFor(root, pointer);
    if (!el || el === root) {
      general.push(message);
      return;
    }
    note(el, pointer, message, n);
    first = first || el;
  });
  root.querySelector('.form-error').textContent = [detail || ft('m_fix'), ...general].join(' — ');
  const section = first && first.closest('[data-step]');
  if (section) showStep(section.dataset.step);
  if (first && first.focus) first.focus();
}

/** Words in the chosen language after a switch (people's titles, the consent text, the title). */
export function retranslateForm() {
  translateField(form());
  renumber(members());
  $('#form-title').textContent = ft($('#form-title').dataset.i18n || 'new_title', { number: state.number });
  refreshConsent();
}

/** Whether what is on the form still holds a masked value the registry showed. */
export function holdsMasked(household) {
  return household.members.some((m) => isMasked(m.phone) || isMasked(m.document?.number));
}
