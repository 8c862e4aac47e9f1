// The programme editor's form: a programme document (as POST /v1/programmes takes it) shown as
// fields, and read back from them. Every field carries data-pointer, the JSON pointer the
// transfers service names a mistake by, so each mistake is shown beside its own field.
import { t } from '/static/i18n.js';
import { escape } from '/static/ui.js';

// The fields an eligibility condition may test and their types (the service's domain/eligibility.py).
export const FIELDS = {
  vulnerability_score: 'number', size: 'number', children_under_5: 'number', elderly_65_plus: 'number',
  persons_with_disabilities: 'number', pregnant_members: 'number', female_headed: 'bool',
  admin_code: 'text', payment_channel_type: 'text', band: 'text', intensity: 'number',
  dwelling_damage: 'text', displacement: 'text', livelihood_losses: 'number', enrolled_in: 'set',
};
const OPERATORS = {
  number: ['>=', '>', '<=', '<', '==', '!=', 'in', 'not in'],
  text: ['==', '!=', 'in', 'not in', 'within'],
  bool: ['==', '!='],
  set: ['includes', 'excludes'],
};
const LISTED = ['in', 'not in'];
const LEVELS = {
  min_urgency: ['Unknown', 'Past', 'Future', 'Expected', 'Immediate'],
  min_severity: ['Unknown', 'Minor', 'Moderate', 'Severe', 'Extreme'],
  min_certainty: ['Unknown', 'Unlikely', 'Possible', 'Likely', 'Observed'],
};
export const PARTS = ['trigger', 'eligibility', 'benefit', 'budget', 'approval', 'entitlement'];
// What households are told, in the programme's own words (the service's shared/contracts/messages.py).
const MESSAGE_KINDS = ['readiness', 'entitled', 'approved', 'sent', 'sent_cash_pickup', 'settled', 'failed'];
const MESSAGE_LANGUAGES = ['es', 'en'];

const options = (values, chosen, label = (v) => v) => values
  .map((v) => `<option value="${escape(v)}"${v === chosen ? ' selected' : ''}>${escape(label(v))}</option>`).join('');
const field = (key, name, pointer, input) => `<label class="pf-field"><span data-i18n="${key}">${escape(t(key))}</span>
  ${input.replace('<input', `<input name="${name}" data-pointer="${pointer}"`)
    .replace('<select', `<select name="${name}" data-pointer="${pointer}"`)
    .replace('<textarea', `<textarea name="${name}" data-pointer="${pointer}"`)}</label>`;
const number = (key, name, pointer, step = 'any') => field(key, name, pointer, `<input type="number" step="${step}" inputmode="decimal">`);
const text = (key, name, pointer) => field(key, name, pointer, '<input type="text" autocomplete="off">');

// The form's static parts; the eligibility tree is drawn into .pf-eligibility.
export function formHtml() {
  const level = (name) => field(`programme_${name}`, name, `/trigger/${name}`, `<select>${options(LEVELS[name], 'Unknown')}</select>`);
  return `
  <fieldset class="pf-part" data-pointer="/"><legend data-i18n="programme_general">${escape(t('programme_general'))}</legend>
    ${text('programme_name', 'name', '/name')}
    ${text('programme_institute', 'institute', '/institute')}
    ${text('programme_currency', 'currency', '/currency')}
  </fieldset>
  <fieldset class="pf-part" data-pointer="/trigger"><legend data-i18n="programme_trigger">${escape(t('programme_trigger'))}</legend>
    ${field('programme_mode', 'mode', '/trigger/mode', `<select>${options(['response', 'anticipatory'], 'response', (m) => t(`programme_mode_${m}`))}</select>`)}
    ${text('programme_categories', 'categories', '/trigger/categories')}
    ${text('programme_events', 'events', '/trigger/events')}
    ${level('min_urgency')} ${level('min_severity')} ${level('min_certainty')}
    ${text('programme_areas', 'areas', '/trigger/areas')}
    ${field('programme_readiness', 'readiness', '/trigger/readiness', '<textarea rows="3" spellcheck="false"></textarea>')}
    ${field('programme_when', 'when', '/trigger/when', '<textarea rows="3" spellcheck="false"></textarea>')}
    <p class="muted" data-i18n="programme_stage_help">${escape(t('programme_stage_help'))}</p>
  </fieldset>
  <fieldset class="pf-part" data-pointer="/eligibility"><legend data-i18n="programme_eligibility">${escape(t('programme_eligibility'))}</legend>
    <div class="pf-eligibility"></div>
  </fieldset>
  <fieldset class="pf-part" data-pointer="/benefit"><legend data-i18n="programme_benefit">${escape(t('programme_benefit'))}</legend>
    ${number('programme_base', 'base', '/benefit/base')}
    ${number('programme_per_member', 'per_member', '/benefit/per_member')}
    ${number('programme_per_vulnerable_member', 'per_vulnerable_member', '/benefit/per_vulnerable_member')}
    ${number('programme_cap', 'cap', '/benefit/cap')}
    ${number('programme_rounding', 'rounding', '/benefit/rounding')}
    ${text('programme_band_multipliers', 'band_multipliers', '/benefit/band_multipliers')}
    ${text('programme_per_enrolment', 'per_enrolment', '/benefit/per_enrolment')}
  </fieldset>
  <fieldset class="pf-part" data-pointer="/budget"><legend data-i18n="programme_budget">${escape(t('programme_budget'))}</legend>
    ${number('programme_per_incident', 'per_incident', '/budget/per_incident')}
    ${number('programme_overall', 'overall', '/budget/overall')}
    ${field('programme_policy', 'policy', '/budget/policy', `<select>${options(['rank_by_vulnerability', 'pro_rata'], 'rank_by_vulnerability', (p) => t(`programme_policy_${p}`))}</select>`)}
  </fieldset>
  <fieldset class="pf-part" data-pointer="/approval"><legend data-i18n="programme_approval">${escape(t('programme_approval'))}</legend>
    ${number('programme_second_approval_above', 'second_approval_above', '/approval/second_approval_above')}
    ${number('programme_pre_approved_ceiling', 'pre_approved_ceiling', '/approval/pre_approved_ceiling')}
  </fieldset>
  <fieldset class="pf-part" data-pointer="/entitlement"><legend data-i18n="programme_entitlement">${escape(t('programme_entitlement'))}</legend>
    ${number('programme_once_in_days', 'once_in_days', '/entitlement/once_in_days', '1')}
  </fieldset>
  <fieldset class="pf-part" data-pointer="/messages"><legend data-i18n="programme_messages">${escape(t('programme_messages'))}</legend>
    <p class="muted" data-i18n="programme_messages_help">${escape(t('programme_messages_help'))}</p>
    ${text('programme_pickup_place', 'pickup_place', '/messages/pickup_place')}
    ${MESSAGE_KINDS.map((kind) => MESSAGE_LANGUAGES.map((lang) => field(`programme_msg_${kind}_${lang}`, `msg_${kind}_${lang}`,
    `/messages/templates/${kind}/${lang}`, '<textarea rows="2"></textarea>')).join('')).join('')}
  </fieldset>
  <fieldset class="pf-part" data-pointer="/payer"><legend data-i18n="programme_payer">${escape(t('programme_payer'))}</legend>
    ${text('programme_payer_name', 'payer_name', '/payer/name')}
    ${text('programme_account_number', 'account_number', '/payer/account_number')}
    ${text('programme_iban', 'iban', '/payer/iban')}
    ${text('programme_bic', 'bic', '/payer/bic')}
  </fieldset>`;
}

// -- the eligibility tree ------------------------------------------------------------------

function valueText(value) {
  if (Array.isArray(value)) return value.join(', ');
  return value == null ? '' : String(value);
}

function conditionElement(condition = { field: 'vulnerability_score', op: '>=', value: '' }) {
  const row = document.createElement('div');
  row.className = 'pf-condition';
  const type = FIELDS[condition.field] || 'number';
  row.innerHTML = `
    <label><span data-i18n="programme_field">${escape(t('programme_field'))}</span>
      <select name="field">${options(Object.keys(FIELDS), condition.field, (f) => t(`programme_f_${f}`))}</select></label>
    <label><span data-i18n="programme_op">${escape(t('programme_op'))}</span>
      <select name="op">${options(OPERATORS[type], condition.op)}</select></label>
    <label><span data-i18n="programme_value">${escape(t('programme_value'))}</span>
      ${type === 'bool' ? `<select name="value">${options(['true', 'false'], String(condition.value), (v) => t(`programme_${v}`))}</select>`
        : `<input name="value" autocomplete="off" value="${escape(valueText(condition.value))}">`}</label>
    <button type="button" class="pf-remove" data-i18n="programme_remove">${escape(t('programme_remove'))}</button>`;
  row.querySelector('[name=field]').addEventListener('change', (event) => {
    const chosen = event.target.value;
    const op = row.querySelector('[name=op]').value;
    const kept = OPERATORS[FIELDS[chosen]].includes(op) ? op : OPERATORS[FIELDS[chosen]][0];
    row.replaceWith(conditionElement({ field: chosen, op: kept, value: FIELDS[chosen] === 'bool' ? true : '' }));
  });
  return row;
}

function groupElement(group = { all: [] }, root = false) {
  const kind = 'any' in group ? 'any' : 'all';
  const box = document.createElement('fieldset');
  box.className = 'pf-group';
  box.innerHTML = `<legend data-i18n="programme_group">${escape(t('programme_group'))}</legend>
    <label><span data-i18n="programme_combine">${escape(t('programme_combine'))}</span>
      <select name="kind">${options(['all', 'any'], kind, (k) => t(`programme_kind_${k}`))}</select></label>
    <div class="pf-parts"></div>
    <button type="button" class="pf-add-condition" data-i18n="programme_add_condition">${escape(t('programme_add_condition'))}</button>
    <button type="button" class="pf-add-group" data-i18n="programme_add_group">${escape(t('programme_add_group'))}</button>
    ${root ? '' : `<button type="button" class="pf-remove" data-i18n="programme_remove">${escape(t('programme_remove'))}</button>`}`;
  const parts = box.querySelector('.pf-parts');
  for (const part of group[kind] || []) parts.append(nodeElement(part));
  return box;
}

function nodeElement(node) {
  return node && ('all' in node || 'any' in node) ? groupElement(node) : conditionElement(node);
}

// Clicks inside the tree: add a condition or a group, remove one (the caller redraws the words).
export function wireTree(container, changed) {
  container.addEventListener('click', (event) => {
    const button = event.target.closest('button');
    if (!button) return;
    const group = button.closest('.pf-group');
    if (button.classList.contains('pf-add-condition')) group.querySelector(':scope > .pf-parts').append(conditionElement());
    else if (button.classList.contains('pf-add-group')) group.querySelector(':scope > .pf-parts').append(groupElement({ all: [] }));
    else if (button.classList.contains('pf-remove')) button.closest('.pf-condition, .pf-group').remove();
    else return;
    changed();
  });
}

function conditionValue(row, pointer) {
  const name = row.querySelector('[name=field]').value;
  const op = row.querySelector('[name=op]').value;
  const raw = row.querySelector('[name=value]').value.trim();
  const type = FIELDS[name];
  row.dataset.pointer = pointer;
  row.querySelector('[name=field]').dataset.pointer = `${pointer}/field`;
  row.querySelector('[name=op]').dataset.pointer = `${pointer}/op`;
  row.querySelector('[name=value]').dataset.pointer = `${pointer}/value`;
  const one = (v) => (type === 'number' ? (v === '' || Number.isNaN(Number(v)) ? v : Number(v)) : v);
  let value;
  if (type === 'bool') value = raw === 'true';
  else if (type === 'set' || LISTED.includes(op)) value = raw ? raw.split(',').map((v) => one(v.trim())) : [];
  else value = one(raw);
  return { field: name, op, value };
}

function readNode(element, pointer) {
  if (element.classList.contains('pf-condition')) return conditionValue(element, pointer);
  const kind = element.querySelector(':scope > label [name=kind]').value;
  element.dataset.pointer = pointer;
  const parts = [...element.querySelector(':scope > .pf-parts').children];
  return { [kind]: parts.map((p, n) => readNode(p, `${pointer}/${kind}/${n}`)) };
}

// -- the document, to and from the form ----------------------------------------------------

// Form controls by name (a control named "name" would hide the form's own property).
const f = (form, name) => form.elements.namedItem(name);
const list = (value) => (value || '').split(',').map((v) => v.trim()).filter(Boolean);
const pairs = (value) => Object.fromEntries(list(value).map((p) => {
  const [key, amount] = p.split('=').map((v) => v.trim());
  return [key, amount === undefined || amount === '' || Number.isNaN(Number(amount)) ? amount ?? null : Number(amount)];
}));
const pairsText = (object) => Object.entries(object || {}).map(([k, v]) => `${k}=${v}`).join(', ');

function amount(form, name) {
  const value = f(form, name).value.trim();
  return value === '' ? undefined : Number(value);
}

function rule(form, name) {
  const value = f(form, name).value.trim();
  if (!value) return undefined;
  try { return JSON.parse(value); } catch (_) { return value; } // the service names the mistake
}

// The document the form says, over ``base`` (what the form does not show, e.g. response types, is kept).
export function readForm(form, base = {}) {
  const tree = form.querySelector('.pf-eligibility > .pf-group');
  return {
    ...base,
    name: f(form, 'name').value.trim(),
    institute: f(form, 'institute').value.trim(),
    currency: f(form, 'currency').value.trim(),
    trigger: {
      ...(base.trigger || {}),
      mode: f(form, 'mode').value, categories: list(f(form, 'categories').value), events: list(f(form, 'events').value),
      min_urgency: f(form, 'min_urgency').value, min_severity: f(form, 'min_severity').value, min_certainty: f(form, 'min_certainty').value,
      areas: list(f(form, 'areas').value), readiness: rule(form, 'readiness'), when: rule(form, 'when'),
    },
    eligibility: readNode(tree, '/eligibility'),
    benefit: {
      ...(base.benefit || {}),
      base: amount(form, 'base'), per_member: amount(form, 'per_member'),
      per_vulnerable_member: amount(form, 'per_vulnerable_member'), cap: amount(form, 'cap'),
      rounding: amount(form, 'rounding'), band_multipliers: pairs(f(form, 'band_multipliers').value),
      per_enrolment: pairs(f(form, 'per_enrolment').value),
    },
    budget: { per_incident: amount(form, 'per_incident'), overall: amount(form, 'overall'), policy: f(form, 'policy').value },
    approval: {
      ...(base.approval || {}),
      second_approval_above: amount(form, 'second_approval_above'),
      pre_approved_ceiling: amount(form, 'pre_approved_ceiling'),
    },
    entitlement: { once_in_days: amount(form, 'once_in_days') },
    payer: payer(form),
    messages: messages(form),
  };
}

// The programme's own wording, or nothing when none is written (households get the default).
function messages(form) {
  const templates = {};
  for (const kind of MESSAGE_KINDS) {
    for (const lang of MESSAGE_LANGUAGES) {
      const value = f(form, `msg_${kind}_${lang}`).value.trim();
      if (value) templates[kind] = { ...(templates[kind] || {}), [lang]: value };
    }
  }
  const place = f(form, 'pickup_place').value.trim();
  return Object.keys(templates).length || place ? { templates, pickup_place: place || undefined } : undefined;
}

// The institute's account, or nothing when no part of it is written.
function payer(form) {
  const written = Object.fromEntries(['account_number', 'iban', 'bic'].map((k) => [k, f(form, k).value.trim() || undefined]));
  const name = f(form, 'payer_name').value.trim() || undefined;
  return name || Object.values(written).some(Boolean) ? { name, ...written } : undefined;
}

export function fillForm(form, document) {
  const d = document || {};
  const trigger = d.trigger || {};
  const set = (name, value) => { f(form, name).value = value == null ? '' : value; };
  set('name', d.name); set('institute', d.institute); set('currency', d.currency);
  set('mode', trigger.mode || 'response');
  set('categories', (trigger.categories || []).join(', ')); set('events', (trigger.events || []).join(', '));
  for (const name of Object.keys(LEVELS)) set(name, trigger[name] || 'Unknown');
  set('areas', (trigger.areas || []).join(', '));
  set('readiness', trigger.readiness ? JSON.stringify(trigger.readiness) : '');
  set('when', trigger.when ? JSON.stringify(trigger.when) : '');
  const benefit = d.benefit || {};
  for (const name of ['base', 'per_member', 'per_vulnerable_member', 'cap', 'rounding']) set(name, benefit[name]);
  set('band_multipliers', pairsText(benefit.band_multipliers)); set('per_enrolment', pairsText(benefit.per_enrolment));
  const budget = d.budget || {};
  set('per_incident', budget.per_incident); set('overall', budget.overall); set('policy', budget.policy || 'rank_by_vulnerability');
  set('second_approval_above', d.approval?.second_approval_above);
  set('pre_approved_ceiling', d.approval?.pre_approved_ceiling || '');
  set('once_in_days', d.entitlement?.once_in_days);
  set('payer_name', d.payer?.name);
  for (const name of ['account_number', 'iban', 'bic']) set(name, d.payer?.[name]);
  set('pickup_place', d.messages?.pickup_place);
  for (const kind of MESSAGE_KINDS) {
    for (const lang of MESSAGE_LANGUAGES) set(`msg_${kind}_${lang}`, d.messages?.templates?.[kind]?.[lang]);
  }
  const tree = d.eligibility && ('all' in d.eligibility || 'any' in d.eligibility) ? d.eligibility
    : { all: d.eligibility ? [d.eligibility] : [] };
  form.querySelector('.pf-eligibility').replaceChildren(groupElement(tree, true));
}
