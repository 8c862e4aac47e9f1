// Damage and needs after a hazard: the worker picks an assessment exercise a registry officer
// opened (GET /v1/assessment-events, kept on the device for visits with no connection) and records
// the dwelling's damage, where the household sleeps now (which shelter), what it lost and what it
// needs now. For a registered household the visit alone goes to the registry; for a household not
// registered yet it travels in the same record as its registration.
import { call, describe, session } from '/static/api.js';
import * as copy from '/static/field/copy.js';
import { liesWithin } from '/static/field/rules.js';
import { ft, translateField } from '/static/field/words.js';

export const DAMAGE = ['none', 'partial', 'destroyed'];
export const DISPLACEMENT = ['at_home', 'host_family', 'shelter'];
export const LOSSES = ['crops', 'livestock', 'work', 'tools'];
export const NEEDS = ['water', 'food', 'shelter', 'health', 'hygiene', 'cash', 'clothing', 'documents', 'psychosocial', 'other'];

function checkboxes(name, values, prefix) {
  return values.map((v) => `<label class="check"><input type="checkbox" data-a="${name}" value="${v}">
    <span data-i18n="${prefix}_${v}"></span></label>`).join('');
}

function options(values, prefix) {
  return `<option value="" data-i18n="choose"></option>${values.map((v) => `<option value="${v}" data-i18n="${prefix}_${v}"></option>`).join('')}`;
}

/** The assessment's fields inside `container` (each with the pointer the registry's answers use). */
export function renderAssessment(container) {
  container.innerHTML = `
    <label><span data-i18n="assessment_event"></span><select data-a="event_id" data-pointer="/assessment/event_id"></select></label>
    <div class="assessment-fields">
      <label><span data-i18n="dwelling_damage"></span><select data-a="dwelling_damage" data-pointer="/assessment/dwelling_damage">${options(DAMAGE, 'damage')}</select></label>
      <label><span data-i18n="displacement"></span><select data-a="displacement" data-pointer="/assessment/displacement">${options(DISPLACEMENT, 'displacement')}</select></label>
      <label class="shelter"><span data-i18n="shelter_name"></span><input data-a="shelter" maxlength="200" autocomplete="off" data-pointer="/assessment/shelter"></label>
      <fieldset data-pointer="/assessment/livelihood_losses"><legend data-i18n="livelihood_losses"></legend>${checkboxes('livelihood_losses', LOSSES, 'loss')}</fieldset>
      <fieldset data-pointer="/assessment/needs"><legend data-i18n="needs"></legend>${checkboxes('needs', NEEDS, 'need')}</fieldset>
    </div>`;
  translateField(container);
  const adapt = () => {
    const chosen = !!container.querySelector('[data-a=event_id]').value;
    container.querySelector('.assessment-fields').hidden = !chosen;
    container.querySelector('label.shelter').hidden = container.querySelector('[data-a=displacement]').value !== 'shelter';
  };
  container.addEventListener('change', adapt);
  showEvents(container);
  adapt();
}

/** Put the open exercises in the container's list (those covering `adminCode` when given). */
export function showEvents(container, adminCode = null) {
  const select = container.querySelector('[data-a=event_id]');
  const chosen = select.value;
  const events = copy.openEvents().filter((e) => !adminCode || e.admin_codes.some((code) => liesWithin(adminCode, code)));
  select.innerHTML = `<option value="" data-i18n="no_assessment"></option>`;
  translateField(select);
  events.forEach((event) => select.append(new Option(event.name, event.id)));
  if ([...select.options].some((o) => o.value === chosen)) select.value = chosen;
  select.dispatchEvent(new Event('change', { bubbles: true }));
}

/** The visit's findings on the form, as the API takes them; null when no exercise is chosen. */
export function readAssessment(container) {
  const value = (name) => container.querySelector(`[data-a=${name}]`).value;
  const ticked = (name) => [...container.querySelectorAll(`[data-a=${name}]:checked`)].map((box) => box.value);
  if (!value('event_id')) return null;
  return {
    event_id: value('event_id'),
    dwelling_damage: value('dwelling_damage') || null,
    displacement: value('displacement') || null,
    shelter: value('displacement') === 'shelter' ? value('shelter').trim() || null : null,
    livelihood_losses: ticked('livelihood_losses'),
    needs: ticked('needs'),
    // The time of the visit: when it was first saved, kept when a refused record is corrected.
    assessed_at: container.dataset.assessedAt || new Date().toISOString(),
  };
}

export function fillAssessment(container, assessment) {
  const set = (name, v) => { container.querySelector(`[data-a=${name}]`).value = v ?? ''; };
  if (assessment && ![...container.querySelector('[data-a=event_id]').options].some((o) => o.value === assessment.event_id)) {
    container.querySelector('[data-a=event_id]').append(new Option(assessment.event_id, assessment.event_id));
  }
  set('event_id', assessment?.event_id);
  set('dwelling_damage', assessment?.dwelling_damage);
  set('displacement', assessment?.displacement);
  set('shelter', assessment?.shelter);
  for (const name of ['livelihood_losses', 'needs']) {
    container.querySelectorAll(`[data-a=${name}]`).forEach((box) => { box.checked = !!assessment?.[name].includes(box.value); });
  }
  if (assessment) container.dataset.assessedAt = assessment.assessed_at;
  else delete container.dataset.assessedAt;
  container.querySelector('[data-a=event_id]').dispatchEvent(new Event('change', { bubbles: true }));
}

/**
 * What the registry would refuse in a visit's findings for a household in `adminCode`
 * (services/registry/domain/assessments.py), by JSON pointer.
 */
export function assessmentProblems(assessment, adminCode) {
  const problems = {};
  if (!assessment) return problems;
  const event = copy.openEvents().find((e) => e.id === assessment.event_id);
  if (!DAMAGE.includes(assessment.dwelling_damage)) problems['/assessment/dwelling_damage'] = ft('m_choose');
  if (!DISPLACEMENT.includes(assessment.displacement)) problems['/assessment/displacement'] = ft('m_choose');
  if (assessment.displacement === 'shelter' && !assessment.shelter) problems['/assessment/shelter'] = ft('m_shelter');
  if (assessment.shelter && assessment.shelter.length > 200) problems['/assessment/shelter'] = ft('m_too_long', { n: 200 });
  const at = new Date(assessment.assessed_at);
  if (event && (at < new Date(event.opened_at) || (event.closes_at && at >= new Date(event.closes_at)))) {
    problems['/assessment/event_id'] = ft('m_event_closed', { name: event.name });
  } else if (event && adminCode && !event.admin_codes.some((code) => liesWithin(adminCode, code))) {
    problems['/assessment/event_id'] = ft('m_event_area', { name: event.name, areas: event.admin_codes.join(', '), code: adminCode });
  }
  return problems;
}

/** The exercises open now in the worker's areas, read again when online (kept for offline). */
export async function loadEvents() {
  if (!navigator.onLine || !session.get()) return copy.openEvents();
  try {
    const page = await call('registry', '/v1/assessment-events');
    await copy.keepEvents(page.items);
  } catch (error) {
    console.warn(`assessment exercises not read: ${describe(error)}`);
  }
  return copy.openEvents();
}

// -- a registered household's visit, alone ---------------------------------------------------

let visit = null; // { household_id, label: {name, admin_code}, client_id? }

/** The damage and needs form for a registered household (or a visit record to correct). */
export function startVisit(target, record = null) {
  visit = { ...target, client_id: record ? record.client_id : undefined };
  const form = document.querySelector('#assess-form');
  const part = form.querySelector('.assessment-part');
  showEvents(part, target.label.admin_code);
  fillAssessment(part, record ? record.assessment : null);
  form.querySelector('#assess-title').textContent = `${ft('step_assessment')}: ${target.label.name || ''} · ${target.label.admin_code}`;
  form.querySelector('.form-error').textContent = '';
}

/** What the damage and needs form holds, with the household it is for. */
export function visitOnForm() {
  const part = document.querySelector('#assess-form .assessment-part');
  return { ...visit, assessment: readAssessment(part) };
}

export function setupVisit({ onSave, onCancel }) {
  const form = document.querySelector('#assess-form');
  renderAssessment(form.querySelector('.assessment-part'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    onSave(visitOnForm());
  });
  form.querySelector('#assess-cancel').addEventListener('click', onCancel);
}
