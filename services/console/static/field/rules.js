// What the registry accepts, checked on the device before a record is saved: the same choices and
// limits as the registry's API (services/registry/entrypoints/schemas.py) and its rules
// (services/registry/domain/model.py and members.py), so a record is refused here, beside the
// field, rather than days later at sync. Problems are keyed by the JSON pointer the sync answer
// uses (/household/members/0/phone).
import { ft } from '/static/field/words.js';

export const CHOICES = {
  sex: ['female', 'male'],
  relationship: ['head', 'spouse', 'child', 'grandchild', 'parent', 'sibling', 'other_relative', 'not_related'],
  document_type: ['national_id', 'birth_certificate', 'passport', 'residence_permit', 'other'],
  status: ['active', 'inactive', 'moved', 'dissolved'],
  location_source: ['gps', 'address', 'admin_centroid'],
  wall: ['concrete_block', 'brick', 'wood', 'adobe', 'bahareque', 'sheet_metal', 'plastic_or_cardboard', 'other'],
  roof: ['concrete', 'tile', 'sheet_metal', 'wood', 'thatch', 'plastic_or_cardboard', 'other'],
  floor: ['tile', 'cement', 'wood', 'earth', 'other'],
  tenure: ['owned', 'rented', 'borrowed', 'occupied', 'other'],
  water_source: ['piped_dwelling', 'piped_yard', 'public_tap', 'well', 'truck', 'river_or_rain', 'other'],
  sanitation: ['sewer', 'septic_tank', 'latrine', 'none', 'other'],
  livelihood_main: ['agriculture', 'fishing', 'livestock', 'wage_employment', 'trade', 'domestic_work', 'remittances', 'none', 'other'],
  income_source: ['formal', 'informal', 'transfers', 'none'],
  payment_type: ['bank_account', 'mobile_money', 'cash_pickup'],
  purposes: ['registry', 'emergency_transfers', 'data_sharing_civil_protection', 'contact'],
};
/** The Washington Group short set's six domains, answered 1 (no difficulty) … 4 (cannot do at all). */
export const WG_DOMAINS = ['seeing', 'hearing', 'walking', 'cognition', 'self_care', 'communication'];
export const WG_FROM_AGE = 5;
/** Payment identifiers each channel asks for; the first (or, for a bank, account or IBAN) is needed. */
export const IDENTIFIERS = {
  bank_account: ['account_number', 'iban', 'bank_code'],
  mobile_money: ['wallet_number'],
  cash_pickup: ['pickup_point'],
};
const ADMIN_CODE = /^[A-Z]{2}(-[A-Z0-9]{1,6})*$/;
const PHONE = /^\+?[0-9][0-9 ()\-]{5,24}$/;
const CONTROL = /[\x00-\x1f]/;
const MAX_AGE = 120;
const MAX_HOUSEHOLD_SIZE = 60;

/** Whether a value is one the registry showed masked (•••••2345), not the value itself. */
export function isMasked(value) {
  return typeof value === 'string' && value.includes('•');
}

/** `0801199012345` → `•••••••••2345`, as the registry masks what field staff may not see. */
export function mask(value) {
  if (!value) return value;
  return '•'.repeat(Math.max(0, value.length - 4)) + value.slice(-4);
}

/** A member's age in whole years on `day` (from the birth date, else the estimate), or null. */
export function ageOn(member, day = new Date()) {
  if (member.birth_date) {
    const [year, month, date] = member.birth_date.split('-').map(Number);
    const before = day.getMonth() + 1 < month || (day.getMonth() + 1 === month && day.getDate() < date);
    return day.getFullYear() - year - (before ? 1 : 0);
  }
  return Number.isInteger(member.age_estimate) ? member.age_estimate : null;
}

/** Whether `code` is `area` or lies inside it (DO-11-01 in DO-11, not in DO-1). */
export function liesWithin(code, area) {
  return area === '*' || code === area || code.startsWith(`${area}-`);
}

function today() {
  const now = new Date();
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
}

function checkName(problems, pointer, value) {
  if (!value || !value.trim()) problems[pointer] = ft('m_required');
  else if (value.length > 200) problems[pointer] = ft('m_too_long', { n: 200 });
  else if (CONTROL.test(value)) problems[pointer] = ft('m_printable');
}

function checkAge(problems, at, member) {
  const { birth_date: birth, age_estimate: age } = member;
  if (!birth && age == null) problems[`${at}/birth_date`] = ft('m_birth_or_age');
  if (birth) {
    if (birth > today()) problems[`${at}/birth_date`] = ft('m_future');
    else if (new Date().getFullYear() - Number(birth.slice(0, 4)) > MAX_AGE) problems[`${at}/birth_date`] = ft('m_over_age');
  }
  if (age != null && !(Number.isInteger(age) && age >= 0 && age <= MAX_AGE)) {
    problems[`${at}/age_estimate`] = ft('m_whole_between', { min: 0, max: MAX_AGE });
  }
}

// A masked value the registry showed for this member (who has an id) is sent back as it is: the
// registry keeps what it stores. A new member has nothing stored: their values are typed.
function checkProtected(problems, at, member) {
  const { document, phone } = member;
  const known = Boolean(member.id);
  if (document) {
    if (!CHOICES.document_type.includes(document.type)) problems[`${at}/document/type`] = ft('m_document_type');
    if (isMasked(document.number)) {
      if (!known) problems[`${at}/document/number`] = ft('m_retype_document', { masked: document.number });
    }
    else if (!document.number || document.number.length < 3 || document.number.length > 40) {
      problems[`${at}/document/number`] = ft('m_document_number');
    }
  }
  if (phone != null) {
    if (isMasked(phone)) {
      if (!known) problems[`${at}/phone`] = ft('m_retype', { masked: phone });
    } else if (!PHONE.test(phone)) problems[`${at}/phone`] = ft('m_phone');
  }
}

function checkMember(problems, index, member, isNew) {
  const at = `/household/members/${index}`;
  checkName(problems, `${at}/given_names`, member.given_names);
  checkName(problems, `${at}/family_names`, member.family_names);
  if (!CHOICES.sex.includes(member.sex)) problems[`${at}/sex`] = ft('m_required');
  if (!CHOICES.relationship.includes(member.relationship)) problems[`${at}/relationship`] = ft('m_required');
  checkAge(problems, at, member);
  checkProtected(problems, at, member);
  const age = ageOn(member);
  for (const domain of WG_DOMAINS) {
    const level = member.disability[domain];
    if (level != null && ![1, 2, 3, 4].includes(level)) problems[`${at}/disability/${domain}`] = ft('m_whole_between', { min: 1, max: 4 });
    else if (level == null && isNew && age != null && age >= WG_FROM_AGE) problems[`${at}/disability/${domain}`] = ft('m_wg');
  }
  if (member.pregnant && member.sex !== 'female') problems[`${at}/pregnant`] = ft('m_pregnant_sex');
  else if (member.pregnant && age != null && !(age >= 10 && age <= 55)) problems[`${at}/pregnant`] = ft('m_pregnant_age', { n: age });
}

function checkPlace(problems, household, jurisdiction) {
  const code = household.admin_code || '';
  if (!ADMIN_CODE.test(code) || code.length > 64) problems['/household/admin_code'] = ft('m_admin_code');
  else if (jurisdiction && !jurisdiction.some((area) => liesWithin(code, area))) {
    problems['/household/admin_code'] = ft('m_outside', { code, areas: jurisdiction.join(', ') });
  }
  const { lat, lon, accuracy_m: accuracy } = household.location;
  if (!Number.isFinite(lat) || lat < -90 || lat > 90) problems['/household/location/lat'] = ft('m_between', { min: -90, max: 90 });
  if (!Number.isFinite(lon) || lon < -180 || lon > 180) problems['/household/location/lon'] = ft('m_between', { min: -180, max: 180 });
  if (accuracy != null && !(Number.isFinite(accuracy) && accuracy >= 0)) {
    problems['/household/location/accuracy_m'] = ft('m_between', { min: 0, max: '∞' });
  }
  if (household.address && household.address.length > 500) problems['/household/address'] = ft('m_too_long', { n: 500 });
  const rooms = household.dwelling.rooms;
  if (rooms != null && !(Number.isInteger(rooms) && rooms >= 1 && rooms <= 50)) {
    problems['/household/dwelling/rooms'] = ft('m_whole_between', { min: 1, max: 50 });
  }
}

function checkPayment(problems, payment, isNew) {
  if (!payment) return;
  // Field staff never see a registered household's identifiers: a change sent without them keeps
  // the stored ones (same channel and provider).
  if (!isNew && !Object.keys(payment.identifiers || {}).length) return;
  if (payment.provider && payment.provider.length > 128) problems['/household/payment/provider'] = ft('m_too_long', { n: 128 });
  const identifiers = payment.identifiers || {};
  for (const [name, value] of Object.entries(identifiers)) {
    if (value.length < 1 || value.length > 64) problems[`/household/payment/identifiers/${name}`] = ft('m_identifier_length');
  }
  // A channel without its account, wallet or pickup point cannot pay the household.
  const [first] = IDENTIFIERS[payment.type];
  const needed = payment.type === 'bank_account' ? identifiers.account_number || identifiers.iban : identifiers[first];
  if (!needed) problems[`/household/payment/identifiers/${first}`] = ft('m_identifier', { what: ft(first).toLowerCase() });
}

function checkConsent(problems, consent) {
  if (!consent || !consent.purposes.includes('registry')) {
    problems['/household/consent/purposes'] = ft('m_registry_purpose');
  }
  if (consent && (!consent.given_by || consent.given_by.length > 200)) problems['/household/consent/given_by'] = ft('m_given_by');
}

/**
 * What is wrong with a household before it is saved.
 * @param {object} household the body the API takes (documents, phones and identifiers may still
 *   hold the masked values the registry showed)
 * @param {{jurisdiction: string[]|null, isNew: boolean}} context
 * @returns {Object<string, string>} problems by JSON pointer (empty when none)
 */
export function problemsOf(household, { jurisdiction = null, isNew = true } = {}) {
  const problems = {};
  checkPlace(problems, household, jurisdiction);
  const { members } = household;
  if (members.length < 1 || members.length > MAX_HOUSEHOLD_SIZE) problems['/household/members'] = ft('m_members', { n: MAX_HOUSEHOLD_SIZE });
  else if (members.filter((m) => m.relationship === 'head').length !== 1) problems['/household/members'] = ft('m_one_head');
  members.forEach((member, index) => checkMember(problems, index, member, isNew));
  checkPayment(problems, household.payment, isNew);
  checkConsent(problems, household.consent);
  return problems;
}

/**
 * A sync answer's error key as a JSON pointer: the registry writes schema errors as pointers
 * (/household/members/0/phone) and its rules' errors as dotted paths (members.0.pregnant).
 */
export function pointerOf(key) {
  if (key.startsWith('/')) return key;
  const path = key.split('.').join('/');
  return path.startsWith('household') || path.startsWith('assessment') ? `/${path}` : `/household/${path}`;
}
