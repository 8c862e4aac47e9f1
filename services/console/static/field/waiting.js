// The records waiting on this device, syncing them, and what the worker does with those the
// registry held back: a refused record is opened in the form with the registry's messages beside
// the fields; a conflict shows both versions and the worker keeps the registry's or re-applies
// their own change on it.
import { ApiError, call, describe, session } from '/static/api.js';
import { when } from '/static/i18n.js';
import { startVisit } from '/static/field/assess.js';
import * as copy from '/static/field/copy.js';
import { differences, reapply } from '/static/field/conflict.js';
import { showProblems, startFix } from '/static/field/form.js';
import { HELD, queue, wireRecord } from '/static/field/queue.js';
import { $, button, escape, headName, notice, showView } from '/static/field/ui.js';
import * as vault from '/static/field/vault.js';
import { ft } from '/static/field/words.js';

const BATCH = 200;
let syncing = false;
let onSessionEnded = () => {};

export function whenSessionEnds(action) {
  onSessionEnded = action;
}

function kindOf(record) {
  if (!record.household) return ft('assessment_of');
  return record.base_version == null ? ft('new_household') : ft('change_of');
}

function reasons(outcome) {
  const fields = Object.entries(outcome.errors || {}).map(([field, text]) => `${field}: ${text}`);
  return [outcome.detail, ...fields].filter(Boolean).join('; ');
}

/** Draw the list of records waiting (and the count on the navigation). */
export async function showWaiting() {
  const records = vault.owner() ? await queue.all() : [];
  $('#waiting').textContent = records.length;
  const list = $('#queue');
  list.innerHTML = records.length ? '' : `<li>${escape(ft('nothing_waiting'))}</li>`;
  for (const record of records) {
    const item = document.createElement('li');
    item.dataset.client = record.client_id;
    item.dataset.status = record.outcome ? record.outcome.status : 'waiting';
    const name = headName(record.household || record.base) || record.label?.name || '';
    const place = (record.household || record.base || record.label || {}).admin_code || '';
    item.innerHTML = `<strong>${escape(name)}</strong> · ${escape(kindOf(record))} · ${escape(place)} · ${escape(when(record.saved_at))}`;
    if (record.outcome && HELD.has(record.outcome.status)) {
      const why = document.createElement('span');
      why.className = record.outcome.status;
      why.textContent = ` — ${ft(record.outcome.status)}: ${reasons(record.outcome)}`;
      item.append(why, ' ');
      if (record.outcome.status === 'conflict') item.append(button(ft('resolve'), () => showConflict(record), 'resolve'));
      else item.append(button(ft('open_record'), () => reopen(record), 'reopen'));
      item.append(' ', button(ft('discard'), () => discard(record), 'discard'));
    }
    list.append(item);
  }
}

/** A refused record back in its form, the registry's messages beside the fields they name. */
export function reopen(record) {
  const errors = record.outcome?.errors || {};
  const detail = record.outcome?.detail || '';
  if (!record.household) {
    startVisit({ household_id: record.household_id, label: record.label }, record);
    showView('assess');
    showProblems(errors, detail, $('#assess-form'));
    return;
  }
  startFix(record);
  showView('register');
  showProblems(errors, detail);
}

async function discard(record) {
  if (!window.confirm(ft('discard_confirm'))) return;
  await queue.remove(record.client_id);
  await showWaiting();
}

function showResults(results) {
  $('#results').innerHTML = results.map((r) => `<li class="${escape(r.status)}" data-status="${escape(r.status)}"
    data-household="${escape(r.household_id || '')}">${escape(ft(r.status))} ${escape(r.household_id || '')}
    ${escape(r.status === 'rejected' || r.status === 'conflict' ? reasons(r) : '')}</li>`).join('');
}

// Households the registry accepted are read again into the offline copy (best effort).
async function refreshCopy(records) {
  for (const record of records) {
    try {
      await copy.keep(await call('registry', `/v1/households/${record.household_id}`));
    } catch (_) {
      return;
    }
  }
}

/** Send the records waiting to the registry's sync endpoint, a batch at a time. */
export async function sync() {
  if (syncing || !navigator.onLine || !vault.owner()) return;
  if (!session.get()) {
    // Unlocked on the device after the session ended: the registry needs a sign-in to take them.
    if ((await queue.unsent()).length) onSessionEnded();
    return;
  }
  syncing = true;
  const sentIds = new Set();
  const results = [];
  const accepted = [];
  try {
    const records = await queue.unsent();
    for (let start = 0; start < records.length; start += BATCH) {
      const batch = records.slice(start, start + BATCH);
      batch.forEach((r) => sentIds.add(r.client_id));
      const report = await call('registry', '/v1/households/sync', {
        method: 'POST',
        json: { device: await vault.deviceId(), records: batch.map(wireRecord) },
      });
      accepted.push(...(await queue.settle(batch, report.results)).accepted);
      results.push(...report.results);
    }
    if (results.length) showResults(results);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) onSessionEnded();
    $('#results').innerHTML = `<li class="rejected">${escape(describe(error))}</li>`;
  } finally {
    syncing = false;
    await showWaiting();
  }
  await refreshCopy(accepted);
  // A record saved while this sync was on its way goes now, not at the next trigger.
  if ((await queue.unsent()).some((r) => !sentIds.has(r.client_id))) await sync();
}

function conflictTable(rows) {
  const head = `<tr><th>${escape(ft('field'))}</th><th>${escape(ft('was'))}</th><th>${escape(ft('theirs'))}</th><th>${escape(ft('mine'))}</th></tr>`;
  const body = rows.map((r) => `<tr><th scope="row">${escape(r.label)}</th><td>${escape(r.was)}</td>
    <td class="${r.theirs !== r.was ? 'changed' : ''}">${escape(r.theirs)}</td>
    <td class="${r.mine !== r.was ? 'changed' : ''}">${escape(r.mine)}</td></tr>`).join('');
  return `<table class="conflict-table">${head}${body}</table>`;
}

/** Both versions side by side; the worker keeps theirs, or re-applies their own change on it. */
export async function showConflict(record) {
  const panel = $('#conflict');
  panel.hidden = false;
  panel.innerHTML = `<h3>${escape(ft('conflict_title'))}</h3>`;
  let theirs;
  try {
    theirs = await call('registry', `/v1/households/${record.household_id}`);
  } catch (error) {
    panel.append(Object.assign(document.createElement('p'), { textContent: `${ft('conflict_offline')} ${describe(error)}` }));
    return;
  }
  const help = document.createElement('p');
  help.textContent = ft('conflict_help', { theirs: theirs.version, base: record.base_version });
  panel.append(help);
  panel.insertAdjacentHTML('beforeend', conflictTable(differences(record.base, theirs, record.household)));
  panel.append(
    button(ft('keep_theirs'), () => keepTheirs(record, theirs), 'keep-theirs'),
    ' ',
    button(ft('reapply_mine'), () => reapplyMine(record, theirs), 'reapply-mine'),
  );
  panel.scrollIntoView({ block: 'start' });
}

async function keepTheirs(record, theirs) {
  if (!window.confirm(ft('keep_theirs_confirm'))) return;
  await queue.remove(record.client_id);
  await copy.keep(theirs);
  $('#conflict').hidden = true;
  await showWaiting();
}

function reapplyMine(record, theirs) {
  const household = reapply(record.base, record.household, theirs);
  startFix({ ...record, household, base: theirs, base_version: theirs.version, outcome: null });
  $('#conflict').hidden = true;
  showView('register');
  notice(ft('reapplied', { n: theirs.version }));
}
