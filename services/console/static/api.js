// Calls to the three services through the console's own origin (/api/<service>/...).
// The token comes from sign-in and lives in this tab's sessionStorage (the console's).
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
  if (s) headers.Authorization = `Bearer ${s.token}`;
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
    throw new ApiError(response.status, problem);
  }
  if (raw) return response;
  const type = response.headers.get('Content-Type') || '';
  return type.includes('json') ? response.json() : response.text();
}
