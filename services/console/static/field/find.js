// Finding a household of the worker's areas (in the offline copy, so it works with no connection)
// and opening it: the full record from the registry when online (kept in the copy), else what the
// device has. From there the worker changes it.
import { call, describe, session } from '/static/api.js';
import { number, when } from '/static/i18n.js';
import * as copy from '/static/field/copy.js';
import { startEdit, startFix } from '/static/field/form.js';
import { queue } from '/static/field/queue.js';
import { ageOn } from '/static/field/rules.js';
import { $, button, escape, notice, showView } from '/static/field/ui.js';
import { ft } from '/static/field/words.js';

const extras = []; // (household, summary, panel) => void: more actions on an opened household

/** Let another part of the app add its actions to an opened household (damage and needs). */
export function addHouseholdAction(action) {
  extras.push(action);
}

export function showCopyStatus() {
  const status = copy.status();
  if (status) $('#copy-status').dataset.count = status.count;
  else delete $('#copy-status').dataset.count;
  $('#copy-status').textContent = status
    ? `${ft('copy_status', { n: number(status.count), when: when(status.downloaded_at) })}${status.partial ? ` ${ft('copy_partial')}` : ''}`
    : ft('copy_none');
}

/** Download the copy of the worker's areas again (when online and signed in). */
export async function refreshCopy() {
  if (!navigator.onLine || !session.get()) return;
  try {
    await copy.refresh((n) => { $('#copy-status').textContent = ft('copy_downloading', { n }); });
  } catch (error) {
    notice(describe(error));
  }
  showCopyStatus();
  showFound();
}

function showFound() {
  const list = $('#found');
  const text = $('#search').value;
  const found = copy.search(text);
  list.innerHTML = text.trim() && !found.length ? `<li>${escape(ft('no_match'))}</li>` : '';
  for (const summary of found) {
    const item = document.createElement('li');
    item.dataset.household = summary.id;
    item.append(button(`${summary.head_name || '—'} · ${summary.registration_number} · ${summary.admin_code} · ${ft('people_n', { n: summary.size })}`,
      () => openHousehold(summary.id), 'open-household'));
    list.append(item);
  }
}

function describeMembers(household) {
  return `<ul>${household.members.map((m) => `<li>${escape(m.given_names)} ${escape(m.family_names)} · ${escape(ft(m.relationship))}
    · ${escape(ft('age_now', { n: ageOn(m) ?? '?' }))}</li>`).join('')}</ul>`;
}

/** Open a household: the registry's full record when online, else the device's copy. */
export async function openHousehold(id) {
  const panel = $('#opened');
  panel.hidden = false;
  let full = null;
  if (navigator.onLine && session.get()) {
    try {
      full = await call('registry', `/v1/households/${id}`);
      await copy.keep(full);
    } catch (error) {
      notice(describe(error));
    }
  }
  const kept = copy.get(id);
  full = full || (kept && kept.full);
  const summary = kept ? kept.summary : null;
  if (!summary) {
    panel.textContent = ft('no_match');
    return;
  }
  panel.innerHTML = `<h3>${escape(summary.head_name || '')}</h3>
    <p>${escape(ft('registration_number'))}: ${escape(summary.registration_number)} · ${escape(summary.admin_code)}
    · ${escape(ft('people_n', { n: summary.size }))} · ${escape(ft('version_n', { n: summary.version }))}</p>
    ${full ? describeMembers(full) : `<p class="help">${escape(ft('full_missing'))}</p>`}`;
  const pending = (await queue.all()).find((r) => r.household_id === id && r.household);
  if (pending) panel.append(button(ft('open_record'), () => { startFix(pending); showView('register'); }, 'open-pending'));
  else if (full) panel.append(button(ft('edit'), () => { startEdit(full); showView('register'); }, 'edit-household'));
  extras.forEach((action) => action(full, summary, panel));
}

export function setupFind() {
  $('#search').addEventListener('input', showFound);
  $('#refresh-copy').addEventListener('click', refreshCopy);
}
