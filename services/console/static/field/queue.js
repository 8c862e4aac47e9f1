// Households registered, changed or assessed on this device and not yet accepted by the registry.
// Each record lives in the vault (IndexedDB, encrypted under its owner's password) until the
// registry accepts it; a record the registry refused or found in conflict stays, with the answer,
// until its owner corrects, resolves or discards it. Nothing leaves this queue on its own.
import * as vault from '/static/field/vault.js';

/** Sync answers after which a record has nothing left to do on the device. */
export const ACCEPTED = new Set(['created', 'updated', 'unchanged', 'already_synced']);
/** Sync answers that wait for the worker. */
export const HELD = new Set(['conflict', 'rejected']);

/**
 * A record waiting to sync.
 * @param {object} parts household_id, base_version, household (the API body or null), assessment
 *   (or null), base (the household as read when a change was started), label ({name, admin_code}
 *   of a household visited without a change), client_id (to keep one).
 */
export function newRecord(parts) {
  return {
    client_id: parts.client_id || crypto.randomUUID(),
    household_id: parts.household_id || crypto.randomUUID(),
    base_version: parts.base_version ?? null,
    household: parts.household ?? null,
    assessment: parts.assessment ?? null,
    base: parts.base ?? null,
    label: parts.label ?? null,
    saved_at: new Date().toISOString(),
    outcome: null,
  };
}

export const queue = {
  async all() {
    const records = await vault.all('records');
    return records.sort((a, b) => a.saved_at.localeCompare(b.saved_at));
  },
  /** Keep a record (replacing one with the same client id). Raises vault.DeviceFull. */
  async put(record) {
    await vault.put('records', [[record.client_id, record]]);
  },
  async remove(clientId) {
    await vault.remove('records', [clientId]);
  },
  /** Those to send: never sent, or sent without an answer (the answer lost on the way). */
  async unsent() {
    return (await this.all()).filter((r) => !r.outcome || !HELD.has(r.outcome.status));
  },
  /** What the registry answered: accepted records leave the device, the others keep the answer. */
  async settle(sent, results) {
    const byClient = new Map(results.map((r) => [r.client_id, r]));
    const accepted = sent.filter((r) => ACCEPTED.has(byClient.get(r.client_id)?.status));
    const held = sent
      .filter((r) => HELD.has(byClient.get(r.client_id)?.status))
      .map((r) => [r.client_id, { ...r, outcome: byClient.get(r.client_id) }]);
    if (held.length) await vault.put('records', held);
    if (accepted.length) await vault.remove('records', accepted.map((r) => r.client_id));
    return { accepted, held: held.map(([, r]) => r) };
  },
};

/** The sync endpoint's record: what the registry takes, nothing of the device's own notes. */
export function wireRecord(record) {
  const wire = {
    client_id: record.client_id,
    household_id: record.household_id,
    base_version: record.base_version,
    household: record.household,
  };
  if (record.assessment) wire.assessment = record.assessment;
  return wire;
}

/**
 * Records the earlier version of this app kept in clear in localStorage, moved into the vault of
 * the person now signed in, then deleted.
 * @returns {number} how many were moved.
 */
export async function migrateLegacy(username) {
  const key = `amparo.field.queue.${username}`;
  const raw = localStorage.getItem(key);
  if (raw === null) return 0;
  let legacy;
  try {
    legacy = JSON.parse(raw);
  } catch (_) {
    legacy = [];
  }
  const records = (Array.isArray(legacy) ? legacy : []).filter((r) => r && r.client_id && r.household).map((r) => ({
    ...newRecord(r),
    saved_at: r.saved_at || new Date().toISOString(),
    outcome: r.outcome || null,
  }));
  if (records.length) await vault.put('records', records.map((r) => [r.client_id, r]));
  localStorage.removeItem(key);
  return records.length;
}
