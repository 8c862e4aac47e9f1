// Calls to the three services through the console's own origin (/api/<service>/...).
// Two ways to sign in, as the console server says at /auth/session:
// - 'accounts' (the embedded stack's local account file): the token comes from /auth/sign-in and
//   lives in this tab's sessionStorage (the console's);
// - 'oidc' (the institution's identity provider): the console server keeps the tokens and adds
//   them to each call itself; the page holds only who is signed in (name, roles, jurisdiction).
// Every call asks for the language the page is shown in: the services' refusals come back in it.
import { language } from '/static/i18n.js';

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

let store = sessionStorage;

// The field app keeps the session in this page's memory only (and, encrypted under the person's
// password, on the device itself: never a token in clear in the browser's storage).
export function keepSessionInMemory() {
  const values = new Map();
  store = {
    getItem: (key) => (values.has(key) ? values.get(key) : null),
    setItem: (key, value) => { values.set(key, String(value)); },
    removeItem: (key) => { values.delete(key); },
  };
}

export const session = {
  get() {
    const value = JSON.parse(store.getItem('amparo.session') || 'null');
    return value && value.expires_at > Date.now() ? value : null;
  },
  set(value) { store.setItem('amparo.session', JSON.stringify({ ...value, expires_at: Date.now() + value.expires_in * 1000 })); },
  // The session even after its token expired (the field app lets the person go on registering
  // offline; syncing needs a fresh sign-in).
  last() { return JSON.parse(store.getItem('amparo.session') || 'null'); },
  clear() { store.removeItem('amparo.session'); },
  has(...roles) {
    const s = this.get();
    return !!s && roles.some((r) => s.roles.includes(r));
  },
};

// How this console signs people in; remembered on the device (it names no one) so the field app
// knows it with no connection.
const MODE_KEY = 'amparo.sign_in_mode';
let mode = localStorage.getItem(MODE_KEY) || 'accounts';
let ended = false;

export function signInMode() { return mode; }

// Whether the server-kept session ended (expired, or refused by the provider) since the page
// last asked: the sign-in page says so.
export function sessionEnded() { return ended; }

// The provider's sign-in page; it comes back to `place` ('/' or '/field/').
export function signInThroughProvider(place = '/') {
  window.location.assign(`/auth/oidc/sign-in?next=${encodeURIComponent(place)}`);
}

// Ask the console server how people sign in and, with the identity provider, who is signed in.
// With no connection the last known mode stands.
export async function loadSession() {
  let body;
  try {
    const response = await fetch('/auth/session', { headers: { Accept: 'application/json' } });
    body = await response.json();
  } catch (_) {
    return mode;
  }
  mode = body.mode === 'oidc' ? 'oidc' : 'accounts';
  localStorage.setItem(MODE_KEY, mode);
  if (mode === 'oidc') {
    ended = !body.signed_in && (ended || !!body.ended);
    if (body.signed_in) session.set({ ...body.signed_in, server: true, expires_in: 12 * 3600 });
    else if (session.get() && session.get().server) session.clear();
  }
  return mode;
}

// Sign out: the console server forgets the session, then the provider ends its own.
// Resolves true when the page is on its way to the provider (nothing more to do here).
export async function signOut(place = '/') {
  const wasServer = mode === 'oidc';
  session.clear();
  if (!wasServer) return false;
  const response = await fetch('/auth/sign-out', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ next: place }),
  });
  const body = await response.json();
  window.location.assign(body.location || place);
  return true;
}

export async function signIn(username, password) {
  const response = await fetch('/auth/sign-in', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  const body = await response.json();
  if (!response.ok) throw new ApiError(response.status, body);
  session.set(body);
  return body;
}

// Every problem document names what went wrong; the message shown is its detail and, where the
// service said which fields, their pointers.
export function describe(error) {
  if (!(error instanceof ApiError)) return String(error.message || error);
  const fields = (error.problem.errors || []).map((e) => e.field || e.pointer).filter(Boolean);
  return fields.length ? `${error.message} (${fields.join(', ')})` : error.message;
}

export async function call(service, path, { method = 'GET', json, body, contentType, idempotent, raw } = {}) {
  const s = session.get();
  const headers = { 'Accept-Language': language() };
  if (s && s.token) headers.Authorization = `Bearer ${s.token}`;
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (contentType) {
    headers['Content-Type'] = contentType;
  }
  if (idempotent) headers['Idempotency-Key'] = crypto.randomUUID();
  const response = await fetch(`/api/${service}${path}`, { method, headers, body });
  if (!response.ok) {
    let problem = { title: response.statusText };
    try { problem = await response.json(); } catch (_) { /* not JSON */ }
    if (response.status === 401 && s && s.server) ended = true;
    throw new ApiError(response.status, problem);
  }
  if (raw) return response;
  const type = response.headers.get('Content-Type') || '';
  return type.includes('json') ? response.json() : response.text();
}
