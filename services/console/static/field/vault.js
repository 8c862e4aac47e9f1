// What the field app keeps on the device, in IndexedDB, each value encrypted with AES-GCM (a fresh
// IV for every value written) under a key derived from the person's password with PBKDF2. The key
// is a non-extractable CryptoKey held in this module's memory only: a reload, a sign-out or another
// person's sign-in drops it, and nothing stored can be read without the password again.
//
// Stores: `people` (per person: salt, iterations, an encrypted verifier, the encrypted session),
// `records` (households waiting to sync), `copy` (the offline copy of the person's areas) and
// `device` (this device's id). Only ids, the owner's username and ciphertexts are stored in clear;
// each ciphertext is bound to its owner, store and id (AES-GCM additional data), so one value
// cannot be passed off as another.

const DB_NAME = 'amparo-field';
const DB_VERSION = 1;
// OWASP's figure for PBKDF2-HMAC-SHA256 (2023); stored per person, so it can be raised later.
const ITERATIONS = 600_000;
const VERIFIER = 'amparo-field-verifier-v1';
const encoder = new TextEncoder();
const decoder = new TextDecoder();

let database = null;
let unlocked = null; // { username, key }

/** The error a write raises when the device's storage is full. */
export class DeviceFull extends Error {}

function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

export function openDatabase() {
  if (database) return Promise.resolve(database);
  const request = indexedDB.open(DB_NAME, DB_VERSION);
  request.onupgradeneeded = () => {
    const db = request.result;
    db.createObjectStore('people', { keyPath: 'username' });
    db.createObjectStore('records', { keyPath: 'id' }).createIndex('owner', 'owner');
    db.createObjectStore('copy', { keyPath: ['owner', 'id'] }).createIndex('owner', 'owner');
    db.createObjectStore('device', { keyPath: 'name' });
  };
  return done(request).then((db) => {
    database = db;
    return db;
  });
}

// Run `work(stores)` in one transaction; resolves with its result once the transaction commits.
// A full device aborts the transaction with QuotaExceededError: that becomes DeviceFull.
async function transaction(names, mode, work) {
  const db = await openDatabase();
  return new Promise((resolve, reject) => {
    let result;
    let tx;
    try {
      tx = db.transaction(names, mode);
    } catch (error) {
      reject(error);
      return;
    }
    const stores = Object.fromEntries(names.map((name) => [name, tx.objectStore(name)]));
    const fail = (error) => reject(error && error.name === 'QuotaExceededError' ? new DeviceFull(error.message) : error);
    tx.oncomplete = () => resolve(result);
    tx.onabort = () => fail(tx.error);
    tx.onerror = () => fail(tx.error);
    const abort = (error) => {
      try { tx.abort(); } catch (_) { /* already finished */ }
      fail(error);
    };
    try {
      // A request may fail at once (a value too large, the quota) or later, through the abort.
      Promise.resolve(work(stores)).then((value) => { result = value; }, abort);
    } catch (error) {
      abort(error);
    }
  });
}

async function deriveKey(password, salt, iterations) {
  const material = await crypto.subtle.importKey('raw', encoder.encode(password), 'PBKDF2', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'PBKDF2', hash: 'SHA-256', salt, iterations },
    material,
    { name: 'AES-GCM', length: 256 },
    false, // never extractable: the key cannot be read out of memory by script, nor stored
    ['encrypt', 'decrypt'],
  );
}

function boundTo(username, store, id) {
  return encoder.encode(JSON.stringify([username, store, id]));
}

async function sealWith(key, username, store, id, value) {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: boundTo(username, store, id) },
    key,
    encoder.encode(JSON.stringify(value)),
  );
  return { iv, data };
}

async function openWith(key, username, store, id, sealed) {
  const plain = await crypto.subtle.decrypt(
    { name: 'AES-GCM', iv: sealed.iv, additionalData: boundTo(username, store, id) },
    key,
    sealed.data,
  );
  return JSON.parse(decoder.decode(plain));
}

function current() {
  if (!unlocked) throw new Error('the device is locked: sign in first');
  return unlocked;
}

/** Who has unlocked the device, or null. */
export function owner() {
  return unlocked ? unlocked.username : null;
}

/**
 * Open the person's records with their password, checked against the verifier on this device.
 * @returns {'unlocked'|'wrong_password'|'unknown_person'}
 */
export async function unlock(username, password) {
  const person = await transaction(['people'], 'readonly', (s) => done(s.people.get(username)));
  if (!person) return 'unknown_person';
  const key = await deriveKey(password, person.salt, person.iterations);
  try {
    const check = await openWith(key, username, 'people', 'verifier', person.verifier);
    if (check.check !== VERIFIER || check.username !== username) return 'wrong_password';
  } catch (_) {
    return 'wrong_password'; // AES-GCM refuses a ciphertext under another key
  }
  unlocked = { username, key };
  return 'unlocked';
}

/** A new locked store for a person signing in for the first time on this device (online only). */
export async function create(username, password) {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const key = await deriveKey(password, salt, ITERATIONS);
  const verifier = await sealWith(key, username, 'people', 'verifier', { check: VERIFIER, username });
  await transaction(['people'], 'readwrite', (s) => done(s.people.put({ username, salt, iterations: ITERATIONS, verifier })));
  unlocked = { username, key };
}

/**
 * The person's password changed on the server: open their records with the previous one and lock
 * everything again under the new one (records, offline copy, session).
 * @returns {boolean} whether the previous password opened them.
 */
export async function changePassword(username, previous, password) {
  if ((await unlock(username, previous)) !== 'unlocked') return false;
  const old = current();
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const key = await deriveKey(password, salt, ITERATIONS);
  const records = await readAll('records');
  const copies = await readAll('copy');
  const resealed = async (store, entries) => Promise.all(entries.map(async (entry) => ({
    ...entry, ...(await sealWith(key, username, store, entry.id, await openWith(old.key, username, store, entry.id, entry))),
  })));
  const newRecords = await resealed('records', records);
  const newCopies = await resealed('copy', copies);
  const verifier = await sealWith(key, username, 'people', 'verifier', { check: VERIFIER, username });
  await transaction(['people', 'records', 'copy'], 'readwrite', (s) => {
    s.people.put({ username, salt, iterations: ITERATIONS, verifier });
    newRecords.forEach((entry) => s.records.put(entry));
    newCopies.forEach((entry) => s.copy.put(entry));
  });
  unlocked = { username, key };
  return true;
}

/** Forget the key. Nothing stored can be read until the password is given again. */
export function lock() {
  unlocked = null;
}

async function readAll(store) {
  const { username } = current();
  return transaction([store], 'readonly', (s) => done(s[store].index('owner').getAll(username)));
}

/** Every value of the unlocked person in `store` ('records' or 'copy'), decrypted. A value that
 * does not open under the person's key (altered on the device) is left where it is, unread. */
export async function all(store) {
  const { username, key } = current();
  const entries = await readAll(store);
  const opened = await Promise.allSettled(entries.map((entry) => openWith(key, username, store, entry.id, entry)));
  const unreadable = opened.filter((o) => o.status === 'rejected').length;
  if (unreadable) console.warn(`${unreadable} stored values in ${store} do not open with this person's key`);
  return opened.filter((o) => o.status === 'fulfilled').map((o) => o.value);
}

/** Write values of the unlocked person: `[[id, value], …]`, each encrypted with a fresh IV. */
export async function put(store, pairs) {
  const { username, key } = current();
  const entries = await Promise.all(pairs.map(async ([id, value]) => ({
    owner: username, id, ...(await sealWith(key, username, store, id, value)),
  })));
  await transaction([store], 'readwrite', (s) => entries.forEach((entry) => s[store].put(entry)));
}

/** Remove values of the unlocked person by id. */
export async function remove(store, ids) {
  const { username } = current();
  await transaction([store], 'readwrite', (s) => {
    ids.forEach((id) => s[store].delete(store === 'copy' ? [username, id] : id));
  });
}

/** Replace the person's whole store with `pairs` (the offline copy, downloaded again). */
export async function replace(store, pairs) {
  const { username, key } = current();
  const entries = await Promise.all(pairs.map(async ([id, value]) => ({
    owner: username, id, ...(await sealWith(key, username, store, id, value)),
  })));
  const old = await readAll(store);
  await transaction([store], 'readwrite', (s) => {
    old.forEach((entry) => s[store].delete(store === 'copy' ? [username, entry.id] : entry.id));
    entries.forEach((entry) => s[store].put(entry));
  });
}

// A value kept sealed on the person's own entry (``field``: 'session' or 'draft'), or null.
async function readSealed(field) {
  const { username, key } = current();
  const person = await transaction(['people'], 'readonly', (s) => done(s.people.get(username)));
  return person && person[field] ? openWith(key, username, 'people', field, person[field]) : null;
}

// Seal ``value`` (null: forget it) onto the person's entry; ``known``: only if the entry exists.
async function keepSealed(field, value, { known = false } = {}) {
  const { username, key } = current();
  const sealed = value ? await sealWith(key, username, 'people', field, value) : undefined;
  await transaction(['people'], 'readwrite', async (s) => {
    const person = await done(s.people.get(username));
    if (person || !known) s.people.put({ ...person, [field]: sealed });
  });
}

/** The person's sealed session (token, name, roles, areas), or null. */
export function session() {
  return readSealed('session');
}

export function keepSession(value) {
  return keepSealed('session', value);
}

/**
 * The household form as the person left it (a sign-in again through the provider leaves the page;
 * a phone may close the tab): sealed like everything else, one per person, or null.
 */
export function draft() {
  return readSealed('draft');
}

export function keepDraft(value) {
  return keepSealed('draft', value, { known: true });
}

/**
 * Sign-out: the offline copy, the session and a form left half-filled go; records still waiting stay, locked, for the same
 * person's next sign-in (with none waiting, the person's entry goes too).
 */
export async function signOut() {
  const { username } = current();
  const waiting = await readAll('records');
  const copies = await readAll('copy');
  await transaction(['people', 'copy'], 'readwrite', async (s) => {
    copies.forEach((entry) => s.copy.delete([username, entry.id]));
    const person = await done(s.people.get(username));
    if (!waiting.length) s.people.delete(username);
    else s.people.put({ ...person, session: undefined, draft: undefined });
  });
  lock();
}

/** This device's id, sent with every sync (not personal: the same for everyone using the device). */
export async function deviceId() {
  const stored = await transaction(['device'], 'readonly', (s) => done(s.device.get('id')));
  if (stored) return stored.value;
  const legacy = localStorage.getItem('amparo.field.device');
  const value = legacy || `web-${crypto.randomUUID()}`;
  await transaction(['device'], 'readwrite', (s) => done(s.device.put({ name: 'id', value })));
  localStorage.removeItem('amparo.field.device');
  return value;
}

/**
 * Whether about `bytes` more fit on the device (the browser's own estimate, with a margin).
 * @returns {{fits: boolean, free: number|null}}
 */
export async function room(bytes) {
  if (!navigator.storage || !navigator.storage.estimate) return { fits: true, free: null };
  const { usage = 0, quota = Infinity } = await navigator.storage.estimate();
  const free = quota - usage;
  return { fits: free > bytes * 2 + 64 * 1024, free };
}
