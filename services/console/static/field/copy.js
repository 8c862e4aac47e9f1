// The offline copy of the worker's own areas, for finding a household with no connection: the
// summaries the registry's list gives field staff (GET /v1/households, page by page, only the
// caller's jurisdiction), and the full record of each household opened online (as the registry
// showed it: documents and phones masked, payment identifiers absent), and the assessment
// exercises open in those areas. Kept in the vault,
// encrypted; held in memory, decrypted, only while the device is unlocked. Sign-out deletes it.
import { call } from '/static/api.js';
import * as vault from '/static/field/vault.js';

const PAGE = 500;
// A phone holds the areas of one field worker; a person whose areas are a whole country gets the
// first households only (and finds the others online).
export const MOST = 50_000;
const META = '~meta';
const EVENTS = '~events';
let households = new Map(); // id -> { summary, full }
let meta = null; // { downloaded_at, count }
let events = [];

/** Read the copy into memory after unlocking. */
export async function load() {
  const values = await vault.all('copy');
  meta = values.find((v) => v.meta)?.meta || null;
  events = values.find((v) => v.events)?.events || [];
  households = new Map(values.filter((v) => v.summary).map((v) => [v.summary.id, v]));
}

/** Forget what is in memory (on lock and sign-out). */
export function forget() {
  households = new Map();
  meta = null;
  events = [];
}

export function status() {
  return meta ? { ...meta, count: households.size } : null;
}

/**
 * Download the summaries of every household in the worker's areas again, a page at a time, then
 * replace the copy in one go (a full record kept when its version is still the latest).
 * @param {(n: number) => void} progress called with the number downloaded so far
 */
export async function refresh(progress = () => {}) {
  const summaries = [];
  let cursor = null;
  do {
    const query = new URLSearchParams({ limit: String(PAGE) });
    if (cursor) query.set('cursor', cursor);
    const page = await call('registry', `/v1/households?${query}`);
    summaries.push(...page.items);
    cursor = page.next_cursor;
    progress(summaries.length);
  } while (cursor && summaries.length < MOST);
  const next = new Map(summaries.map((summary) => {
    const kept = households.get(summary.id)?.full;
    return [summary.id, { summary, full: kept && kept.version === summary.version ? kept : null }];
  }));
  const newMeta = { downloaded_at: new Date().toISOString(), count: next.size, partial: !!cursor };
  await vault.replace('copy', [[META, { meta: newMeta }], [EVENTS, { events }], ...next]);
  households = next;
  meta = newMeta;
}

function summaryOf(household) {
  const head = household.members.find((m) => m.relationship === 'head');
  return {
    id: household.id,
    registration_number: household.registration_number,
    admin_code: household.admin_code,
    status: household.status,
    size: household.size,
    head_name: head ? `${head.given_names} ${head.family_names}` : null,
    version: household.version,
    updated_at: household.updated_at,
  };
}

/** Keep a household read from the registry (its full record, as shown) in the copy. */
export async function keep(household) {
  const value = { summary: { ...(households.get(household.id)?.summary || {}), ...summaryOf(household) }, full: household };
  await vault.put('copy', [[household.id, value]]);
  households.set(household.id, value);
}

/** The assessment exercises open in the worker's areas, as last read. */
export function openEvents() {
  return events;
}

export async function keepEvents(list) {
  await vault.put('copy', [[EVENTS, { events: list }]]);
  events = list;
}

export function get(id) {
  return households.get(id) || null;
}

function folded(text) {
  return (text || '').normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
}

/** Households whose head's name, registration number, id or area holds every word typed. */
export function search(text, limit = 50) {
  const words = folded(text).split(/\s+/).filter(Boolean);
  if (!words.length) return [];
  const found = [];
  for (const { summary } of households.values()) {
    const haystack = folded(`${summary.head_name} ${summary.registration_number} ${summary.id} ${summary.admin_code}`);
    if (words.every((word) => haystack.includes(word))) found.push(summary);
    if (found.length >= limit) break;
  }
  return found;
}
