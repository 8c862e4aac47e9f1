// Households registered on this device and not yet accepted by the registry, kept in
// localStorage so they survive closing the page, a restart and days without a connection.
// Each person has their own queue: what one worker registered is synced under their name only.
let owner = null;

export function queueOwner(username) { owner = username; }

function key() {
  if (!owner) throw new Error('nobody is signed in on this device');
  return `amparo.field.queue.${owner}`;
}

export const queue = {
  all() { return owner ? JSON.parse(localStorage.getItem(key()) || '[]') : []; },
  // Throws when the device's storage is full: the caller says the record was not saved.
  save(records) { localStorage.setItem(key(), JSON.stringify(records)); },
  add(household) {
    const record = {
      client_id: crypto.randomUUID(),
      household_id: crypto.randomUUID(),
      base_version: null,
      household,
      saved_at: new Date().toISOString(),
      outcome: null,
    };
    this.save([...this.all(), record]);
    return record;
  },
  // Keep what the registry did not accept (conflicts and refusals stay, with the reason).
  settle(results) {
    const byClient = Object.fromEntries(results.map((r) => [r.client_id, r]));
    const done = new Set(['created', 'updated', 'unchanged', 'already_synced']);
    this.save(this.all()
      .filter((record) => !done.has(byClient[record.client_id]?.status))
      .map((record) => (byClient[record.client_id] ? { ...record, outcome: byClient[record.client_id] } : record)));
  },
  remove(clientId) { this.save(this.all().filter((r) => r.client_id !== clientId)); },
};

export function deviceId() {
  let id = localStorage.getItem('amparo.field.device');
  if (!id) {
    id = `web-${crypto.randomUUID()}`;
    localStorage.setItem('amparo.field.device', id);
  }
  return id;
}
