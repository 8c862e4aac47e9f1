// A change made on this device to a household someone else changed meanwhile: what differs between
// the version the change was made on, the registry's version now ("theirs") and the change
// ("mine"); and "mine" re-applied on theirs: the fields the worker changed take the worker's
// values, everything else stays as they left it. Protected values the registry shows masked are
// compared by their masked form.
import { isMasked, mask } from '/static/field/rules.js';
import { ft } from '/static/field/words.js';

const SCALARS = [
  'admin_code', 'address', 'status', 'location.lat', 'location.lon', 'location.accuracy_m', 'location.source',
  'dwelling.wall', 'dwelling.roof', 'dwelling.floor', 'dwelling.tenure', 'dwelling.rooms',
  'services.water_source', 'services.sanitation', 'livelihood.main', 'livelihood.income_source',
];
const MEMBER_FIELDS = [
  'given_names', 'family_names', 'sex', 'relationship', 'birth_date', 'age_estimate', 'document', 'phone',
  'disability', 'pregnant', 'chronic_illness', 'attends_school',
];
const LABELS = {
  'location.lat': 'latitude', 'location.lon': 'longitude', 'location.source': 'location_source',
  'livelihood.main': 'livelihood_main', document: 'document_type', disability: 'functioning', payment: 'step_payment',
  consent: 'consent_purposes',
};

/** A household read back (GET) or as sent (the API body), in one shape: the body's. */
export function asBody(household) {
  const member = (m) => ({
    id: m.id,
    given_names: m.given_names,
    family_names: m.family_names,
    sex: m.sex,
    relationship: m.relationship,
    birth_date: m.birth_date || null,
    age_estimate: m.age_estimate ?? null,
    document: m.document !== undefined ? m.document : m.document_type ? { type: m.document_type, number: m.document_number } : null,
    phone: m.phone || null,
    disability: { ...(m.disability || {}) },
    pregnant: !!m.pregnant,
    chronic_illness: !!m.chronic_illness,
    attends_school: m.attends_school ?? null,
  });
  const { payment, consent } = household;
  return {
    admin_code: household.admin_code,
    location: { ...household.location },
    address: household.address ?? null,
    status: household.status || 'active',
    members: household.members.map(member),
    dwelling: { ...(household.dwelling || {}) },
    services: { ...(household.services || {}) },
    livelihood: { ...(household.livelihood || {}) },
    payment: payment ? { type: payment.type, provider: payment.provider ?? null, identifiers: payment.identifiers ?? null } : null,
    consent: consent ? { given_at: consent.given_at, given_by: consent.given_by, purposes: [...consent.purposes] } : null,
  };
}

const at = (object, path) => path.split('.').reduce((o, k) => (o == null ? null : o[k]), object) ?? null;

function put(object, path, value) {
  const keys = path.split('.');
  const last = keys.pop();
  keys.reduce((o, k) => { o[k] = o[k] || {}; return o[k]; }, object)[last] = value;
}

// What a person sees of a value: protected ones masked, lists and maps as text.
function shown(field, value) {
  if (value == null || value === '') return '';
  if (field === 'document') return `${ft(value.type)} ${isMasked(value.number) ? value.number : mask(value.number || '')}`;
  if (field === 'phone') return isMasked(value) ? value : mask(value);
  if (field === 'disability') return Object.entries(value).map(([d, n]) => `${ft(`wg_${d}`)}: ${n}`).join('; ');
  if (field === 'payment') return [ft(value.type), value.provider].filter(Boolean).join(' · ');
  if (field === 'consent') return `${[...value.purposes].sort().map((p) => ft(`purpose_${p}`)).join('; ')} · ${value.given_by}`;
  if (typeof value === 'boolean') return ft(value ? 'yes' : 'no');
  return typeof value === 'string' && /^[a-z_]+$/.test(value) ? ft(value) : String(value);
}

const same = (field, a, b) => shown(field, a) === shown(field, b);

function memberName(...members) {
  const m = members.find(Boolean);
  return m ? `${m.given_names} ${m.family_names}` : '';
}

/**
 * The rows to show: each field whose value differs between the base, theirs and mine.
 * @returns {{label: string, was: string, theirs: string, mine: string}[]}
 */
export function differences(base, theirs, mine) {
  [base, theirs, mine] = [base, theirs, mine].map(asBody);
  const rows = [];
  const row = (label, field, values) => {
    const [b, t, m] = values.map((v) => shown(field, v));
    if (b !== t || b !== m) rows.push({ label, was: b, theirs: t, mine: m });
  };
  SCALARS.forEach((path) => row(ft(LABELS[path] || path.split('.').pop()), path.split('.').pop(), [base, theirs, mine].map((h) => at(h, path))));
  row(ft('step_payment'), 'payment', [base.payment, theirs.payment, mine.payment]);
  row(ft('consent_purposes'), 'consent', [base.consent, theirs.consent, mine.consent]);
  const ids = [...new Set([base, theirs, mine].flatMap((h) => h.members.map((m) => m.id)))];
  for (const id of ids) {
    const [b, t, m] = [base, theirs, mine].map((h) => h.members.find((x) => x.id === id));
    const who = memberName(m, t, b);
    if (!b || !t || !m) row(who, 'presence', [b, t, m].map((x) => (x ? '✓' : '—')));
    for (const field of MEMBER_FIELDS) {
      if (b && t && m) row(`${who}: ${ft(LABELS[field] || field)}`, field, [b[field], t[field], m[field]]);
    }
  }
  return rows;
}

/**
 * Mine re-applied on theirs: what the worker changed from the base takes the worker's value; the
 * rest is theirs. A protected value the worker typed in full is kept where theirs shows the same
 * masked value (so it need not be typed again); any other masked value must be typed on the form.
 */
export function reapply(base, mine, theirs) {
  [base, mine, theirs] = [base, mine, theirs].map(asBody);
  const out = structuredClone(theirs);
  for (const path of SCALARS) {
    if (!same(path, at(mine, path), at(base, path))) put(out, path, at(mine, path));
  }
  const channel = (p) => (p ? `${p.type}|${p.provider || ''}` : '');
  if (channel(mine.payment) !== channel(base.payment) || channel(mine.payment) === channel(theirs.payment)) out.payment = mine.payment;
  if (!same('consent', mine.consent, base.consent)) out.consent = mine.consent;
  const mineIds = new Set(mine.members.map((m) => m.id));
  const baseById = new Map(base.members.map((m) => [m.id, m]));
  // Those the worker removed go; those they added or changed (even if removed meanwhile) stay.
  out.members = out.members.filter((m) => !(baseById.has(m.id) && !mineIds.has(m.id)));
  for (const m of mine.members) {
    const before = baseById.get(m.id);
    const now = out.members.find((x) => x.id === m.id);
    const changed = before ? MEMBER_FIELDS.filter((f) => !same(f, m[f], before[f])) : MEMBER_FIELDS;
    if (!now) {
      if (!before || changed.length) out.members.push(m);
      continue;
    }
    for (const field of MEMBER_FIELDS) {
      if (changed.includes(field) || (['document', 'phone'].includes(field) && same(field, m[field], now[field]))) now[field] = m[field];
    }
  }
  return out;
}
