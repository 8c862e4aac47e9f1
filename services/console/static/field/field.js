// The field app: register households with GPS, keep them on the device, sync when online.
import { ApiError, call, describe, keepSessionOnDevice, session, signIn } from '/static/api.js';
import { language, setLanguage, t, translate } from '/static/i18n.js';
import { deviceId, queue, queueOwner } from '/static/field/queue.js';

keepSessionOnDevice();
const $ = (selector) => document.querySelector(selector);
let syncing = false;
const RELATIONSHIPS = ['child', 'spouse', 'grandchild', 'parent', 'sibling', 'other_relative', 'not_related'];

function escape(text) {
  const div = document.createElement('div');
  div.textContent = text == null ? '' : String(text);
  return div.innerHTML;
}

function addMember() {
  const row = document.createElement('div');
  row.className = 'member';
  row.innerHTML = `<input name="m_given" placeholder="${escape(t('head_given'))}" required>
    <input name="m_family" placeholder="${escape(t('head_family'))}" required>
    <select name="m_sex"><option value="female">${escape(t('female'))}</option><option value="male">${escape(t('male'))}</option></select>
    <input name="m_age" type="number" min="0" max="120" placeholder="age" required>
    <select name="m_relationship">${RELATIONSHIPS.map((r) => `<option value="${r}">${escape(t(r))}</option>`).join('')}</select>
    <button type="button" aria-label="remove">×</button>`;
  row.querySelector('button').addEventListener('click', () => row.remove());
  $('#members').append(row);
}

function householdFrom(form) {
  const head = {
    given_names: form.given_names.value.trim(),
    family_names: form.family_names.value.trim(),
    sex: form.sex.value,
    relationship: 'head',
    birth_date: form.birth_date.value,
  };
  const others = [...document.querySelectorAll('#members .member')].map((row) => ({
    given_names: row.querySelector('[name=m_given]').value.trim(),
    family_names: row.querySelector('[name=m_family]').value.trim(),
    sex: row.querySelector('[name=m_sex]').value,
    relationship: row.querySelector('[name=m_relationship]').value,
    age_estimate: Number(row.querySelector('[name=m_age]').value),
  }));
  const location = { lat: Number(form.lat.value), lon: Number(form.lon.value), source: 'gps' };
  if (form.accuracy_m.value) location.accuracy_m = Number(form.accuracy_m.value);
  return {
    admin_code: form.admin_code.value.trim().toUpperCase(),
    location,
    address: form.address.value.trim() || null,
    members: [head, ...others],
    consent: {
      given_at: new Date().toISOString(),
      given_by: `${head.given_names} ${head.family_names}`,
      purposes: ['registry', 'emergency_transfers'],
    },
  };
}

function showQueue() {
  const records = queue.all();
  $('#waiting').textContent = records.length;
  $('#queue').innerHTML = records.length ? '' : `<li>${escape(t('nothing_waiting'))}</li>`;
  for (const record of records) {
    const head = record.household.members[0];
    const item = document.createElement('li');
    const outcome = record.outcome;
    const why = outcome ? ` — <span class="${escape(outcome.status)}">${escape(t(outcome.status))}: ${escape(outcome.detail || Object.entries(outcome.errors || {}).map(([k, v]) => `${k}: ${v}`).join('; '))}</span>` : '';
    item.innerHTML = `${escape(head.given_names)} ${escape(head.family_names)} · ${escape(record.household.admin_code)} · ${escape(new Date(record.saved_at).toLocaleString())}${why}`;
    if (outcome && ['conflict', 'rejected'].includes(outcome.status)) {
      const discard = document.createElement('button');
      discard.textContent = '×';
      discard.addEventListener('click', () => { queue.remove(record.client_id); showQueue(); });
      item.append(' ', discard);
    }
    $('#queue').append(item);
  }
}

function showNetwork() {
  const online = navigator.onLine;
  $('#network').textContent = t(online ? 'online' : 'offline');
  $('#network').classList.toggle('offline', !online);
}

function unsent() {
  return queue.all().filter((r) => !r.outcome || !['conflict', 'rejected'].includes(r.outcome.status));
}

async function sync() {
  const records = unsent();
  if (syncing || !records.length || !session.get()) return;
  syncing = true;
  try {
    const report = await call('registry', '/v1/households/sync', {
      method: 'POST',
      json: { device: deviceId(), records: records.map(({ client_id, household_id, base_version, household }) => ({ client_id, household_id, base_version, household })) },
    });
    queue.settle(report.results);
    $('#results').innerHTML = report.results.map((r) => `<li class="${escape(r.status)}" data-status="${escape(r.status)}">${escape(t(r.status))}
      ${escape(r.household_id || '')} ${escape(r.detail || '')}</li>`).join('');
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) { session.clear(); start(); }
    $('#results').innerHTML = `<li class="rejected">${escape(describe(error))}</li>`;
  } finally {
    syncing = false;
    showQueue();
  }
  // A household registered while this sync was on its way goes now, not at the next trigger.
  const sent = new Set(records.map((r) => r.client_id));
  if (navigator.onLine && session.get() && unsent().some((r) => !sent.has(r.client_id))) sync();
}

function start() {
  translate();
  const current = session.get();
  // Whoever signed in last may go on registering offline after their token expired; a sign-in
  // is needed again only to sync.
  const last = current || session.last();
  queueOwner(last ? last.username : null);
  $('#sign-in').hidden = !!current;
  $('#app').hidden = !last;
  $('#sign-out').hidden = !last;
  if (last && !current) $('#sign-in-error').textContent = t('sign_in_to_sync');
  if (last && !$('#household').admin_code.value) {
    const codes = last.jurisdiction.filter((c) => c !== '*');
    if (codes.length === 1) $('#household').admin_code.value = codes[0];
  }
  showNetwork();
  showQueue();
  if (current && navigator.onLine) sync();
}

$('#sign-in').addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    await signIn(event.target.username.value, event.target.password.value);
    event.target.reset();
    start();
  } catch (error) {
    $('#sign-in-error').textContent = describe(error);
  }
});
$('#household').addEventListener('submit', (event) => {
  event.preventDefault();
  try {
    queue.add(householdFrom(event.target));
  } catch (error) {
    $('#form-error').textContent = `${t('not_saved')}: ${error.message}`;
    return;
  }
  event.target.reset();
  $('#members').innerHTML = '';
  start();
  $('#form-error').textContent = t('saved');
});
$('#locate').addEventListener('click', () => {
  navigator.geolocation.getCurrentPosition(
    (position) => {
      const form = $('#household');
      form.lat.value = position.coords.latitude.toFixed(6);
      form.lon.value = position.coords.longitude.toFixed(6);
      form.accuracy_m.value = Math.round(position.coords.accuracy);
    },
    (error) => { $('#form-error').textContent = error.message; },
    { enableHighAccuracy: true, timeout: 30000 },
  );
});
$('#add-member').addEventListener('click', addMember);
$('#sync').addEventListener('click', sync);
$('#sign-out').addEventListener('click', () => {
  const waiting = unsent().length;
  if (waiting && !window.confirm(`${waiting} ${t('still_waiting')}`)) return;
  session.clear();
  window.location.reload();
});
$('#language').addEventListener('click', () => { setLanguage(language() === 'es' ? 'en' : 'es'); start(); });
window.addEventListener('online', () => { showNetwork(); sync(); });
window.addEventListener('offline', showNetwork);
if ('serviceWorker' in navigator) navigator.serviceWorker.register('/field/sw.js', { scope: '/field/' });
start();
