// The field app: sign in (which unlocks what this device keeps for the person, also offline),
// register, find and change households, sync when online.
import {
  ApiError, describe, keepSessionInMemory, loadSession, session, sessionEnded, signIn, signInMode, signOut as endSession,
} from '/static/api.js';
import { language, setLanguage, t } from '/static/i18n.js';
import {
  assessmentProblems, loadEvents, readAssessment, setupVisit, showEvents, startVisit,
} from '/static/field/assess.js';
import * as copy from '/static/field/copy.js';
import { addHouseholdAction, refreshCopy, setupFind, showCopyStatus } from '/static/field/find.js';
import {
  clearProblems, draftOfForm, formState, resumeDraft, retranslateForm, setupForm, showProblems, startNew,
} from '/static/field/form.js';
import { migrateLegacy, newRecord, queue } from '/static/field/queue.js';
import { problemsOf } from '/static/field/rules.js';
import { $, button, notice, showView } from '/static/field/ui.js';
import * as vault from '/static/field/vault.js';
import { showWaiting, sync, whenSessionEnds } from '/static/field/waiting.js';
import { ft, translateField } from '/static/field/words.js';

keepSessionInMemory();
// The earlier version of this app kept the session, token included, in clear here.
localStorage.removeItem('amparo.session');

function areas() {
  const current = session.last();
  return current ? current.jurisdiction : null;
}

function defaultArea() {
  const codes = (areas() || []).filter((c) => c !== '*');
  return codes.length === 1 ? codes[0] : '';
}

function showNetwork() {
  const online = navigator.onLine;
  $('#network').textContent = ft(online ? 'online' : 'offline');
  $('#network').classList.toggle('offline', !online);
}

// Ask the registry first (when it answers, its word on the password counts); with no connection
// the password is checked against this device's verifier alone.
async function askRegistry(username, password) {
  try {
    return { answer: await signIn(username, password) };
  } catch (error) {
    if (error instanceof ApiError && error.status < 500) return { refused: error };
    return {}; // no connection, or the stack is down: the device decides
  }
}

async function openVault(username, password, previous, online) {
  const state = await vault.unlock(username, password);
  if (state === 'unlocked') return null;
  if (state === 'unknown_person') {
    if (!online) return ft('first_sign_in_online');
    await vault.create(username, password);
    return null;
  }
  if (!online) return ft('wrong_password');
  // The registry took this password but the device's lock was made with another: it changed.
  if (!previous) {
    $('#previous').hidden = false;
    return ft('password_changed');
  }
  return (await vault.changePassword(username, previous, password)) ? null : ft('wrong_password');
}

// Signed in through the institution's identity provider, the device's records open with a
// passphrase of the person's own, set on the first sign-in here (the app never sees the
// provider's password). With no connection the passphrase alone opens them, as a password would.
async function unlockWithPassphrase(form) {
  const username = form.username.value.trim();
  const passphrase = form.password.value;
  const online = !!session.get();
  const state = await vault.unlock(username, passphrase);
  if (state === 'unknown_person') {
    if (!online) return ft('first_sign_in_online');
    if (passphrase.length < 8) return ft('passphrase_short');
    await vault.create(username, passphrase);
  } else if (state !== 'unlocked') {
    return ft('wrong_passphrase');
  }
  if (online) {
    await vault.keepSession(session.last());
  } else {
    const kept = await vault.session();
    if (kept) session.set({ ...kept, expires_in: (kept.expires_at - Date.now()) / 1000 });
  }
  notice(session.get() ? '' : ft('signed_in_offline'));
  return null;
}

async function signInAndUnlock(form) {
  if (signInMode() === 'oidc') return unlockWithPassphrase(form);
  const username = form.username.value.trim();
  const password = form.password.value;
  const { answer, refused } = await askRegistry(username, password);
  if (refused) return describe(refused);
  const problem = await openVault(username, password, form.previous.value, !!answer);
  if (problem) return problem;
  if (answer) {
    await vault.keepSession(session.last());
  } else {
    const kept = await vault.session();
    if (kept) session.set({ ...kept, expires_in: (kept.expires_at - Date.now()) / 1000 });
  }
  const moved = await migrateLegacy(username);
  if (moved) notice(ft('migrated', { n: moved }));
  else notice(session.get() ? '' : ft('signed_in_offline'));
  return null;
}

let entered = false;

async function enter() {
  if (!entered) {
    // A sign-in again (the session had ended) keeps whatever is on the form; a sign-in again
    // through the provider (which leaves the page) or a tab the phone closed finds it kept.
    entered = true;
    const draft = await vault.draft().catch(() => null);
    if (draft) {
      resumeDraft(draft);
      notice(ft('draft_resumed'));
    } else {
      startNew(defaultArea());
    }
    showView('register');
  }
  await copy.load();
  showCopyStatus();
  await showWaiting();
  // Shown once what the device holds for the person is in place; then what the registry says.
  $('#sign-in').hidden = true;
  $('#app').hidden = false;
  $('#sign-out').hidden = false;
  await showAssessments();
  if (navigator.onLine && session.get()) {
    await sync();
    refreshCopy();
  }
}

// With the identity provider: its sign-in first (online, not signed in there), then the device's
// passphrase. A refused sign-in (?sign_in=<reason>) or an ended session is said here.
function showSignInWay({ again = false } = {}) {
  if (signInMode() !== 'oidc') return;
  const form = $('#sign-in');
  const current = session.get();
  const toProvider = navigator.onLine && (!current || again);
  $('#provider-sign-in').hidden = !toProvider;
  $('#device-lock').hidden = toProvider;
  $('#device-lock').disabled = toProvider;
  $('#secret-label').dataset.i18n = 'device_passphrase';
  $('#unlock-help').dataset.i18n = 'passphrase_help';
  $('#unlock').dataset.i18n = 'open_records';
  if (current && !again) {
    form.username.value = current.username;
    form.username.readOnly = true;
  }
  translateField();
  const reason = new URLSearchParams(window.location.search).get('sign_in');
  const known = ['audience', 'no_role', 'expired', 'failed', 'unavailable'];
  if (reason) window.history.replaceState(null, '', window.location.pathname);
  if (reason) $('#sign-in-error').textContent = t(`sign_in_${known.includes(reason) ? reason : 'failed'}`);
  else if (sessionEnded() && !again) $('#sign-in-error').textContent = t('sign_in_expired');
}

// The session with the registry ended while the device stays unlocked: sign in again to sync.
function askToSignInAgain() {
  const last = session.last();
  // The token is spent, but the person's areas still say where they may register.
  if (last) session.set({ ...last, expires_in: 0 });
  const form = $('#sign-in');
  form.hidden = false;
  form.username.value = vault.owner();
  form.username.readOnly = true;
  $('#sign-in-error').textContent = ft('session_ended');
  showSignInWay({ again: true });
}

// The damage and needs section and actions appear while an assessment exercise is open.
async function showAssessments() {
  await loadEvents();
  $('#household .steps [data-goto=assessment]').hidden = !copy.openEvents().length;
  showEvents($('#assessment-part'));
}

/**
 * Keep a record on the device (encrypted), telling the worker in `errorBox` when the device is
 * full: the form then keeps what was entered. Returns whether it was kept.
 */
async function keep(record, errorBox) {
  const { fits, free } = await vault.room(JSON.stringify(record).length);
  try {
    if (!fits) throw new vault.DeviceFull(`${free} bytes free`);
    await queue.put(record);
  } catch (error) {
    errorBox.textContent = error instanceof vault.DeviceFull ? ft('device_full') : `${ft('not_saved')}: ${error.message}`;
    return false;
  }
  notice(ft('saved'));
  await showWaiting();
  const room = await vault.room(256 * 1024);
  if (!room.fits) notice(ft('device_almost_full', { free: `${Math.round(room.free / 1024)} KB` }));
  if (navigator.onLine) sync();
  return true;
}

async function save(household) {
  $('#form-error').textContent = '';
  const { record } = formState();
  const assessment = readAssessment($('#assessment-part'));
  // The Washington Group questions are asked of everyone 5 or older when a household is registered.
  const problems = {
    ...problemsOf(household, { jurisdiction: areas(), isNew: record.base_version == null }),
    ...assessmentProblems(assessment, household.admin_code),
  };
  if (Object.keys(problems).length) {
    showProblems(problems);
    return;
  }
  if (await keep(newRecord({ ...record, household, assessment }), $('#form-error'))) {
    clearProblems();
    await startOver();
  }
}

// The form as the worker leaves it is kept on the device (sealed), a moment after each change.
// Writes of the draft go one after another, so a draft sealed while the form was being saved
// never lands after the saved form's draft was forgotten.
let drafting = null;
let draftWrites = Promise.resolve();
function keepDraftNow(value) {
  draftWrites = draftWrites.then(() => (vault.owner() ? vault.keepDraft(value) : null)).catch(() => {});
  return draftWrites;
}

function keepDraftWhileTyping() {
  for (const kind of ['input', 'change']) {
    $('#household').addEventListener(kind, () => {
      clearTimeout(drafting);
      drafting = setTimeout(() => keepDraftNow(draftOfForm()), 400);
    });
  }
}

/** An empty form, and no draft kept (resolves once it is forgotten). */
function startOver() {
  clearTimeout(drafting);
  startNew(defaultArea());
  return keepDraftNow(null);
}

async function saveVisit(visit) {
  const form = $('#assess-form');
  form.querySelector('.form-error').textContent = '';
  const problems = visit.assessment
    ? assessmentProblems(visit.assessment, visit.label.admin_code)
    : { '/assessment/event_id': ft('m_choose') };
  if (Object.keys(problems).length) {
    showProblems(problems, '', form);
    return;
  }
  const record = newRecord({ ...visit, base_version: null, household: null });
  if (await keep(record, form.querySelector('.form-error'))) showView('find');
}

function offerVisit(full, summary, panel) {
  if (!copy.openEvents().length) return;
  const label = { name: summary.head_name, admin_code: summary.admin_code };
  panel.append(' ', button(ft('assess'), () => {
    startVisit({ household_id: summary.id, label });
    showView('assess');
  }, 'assess-household'));
}

async function signOut() {
  const waiting = (await queue.all()).length;
  if (waiting && !window.confirm(ft('sign_out_waiting', { n: waiting }))) return;
  await vault.signOut();
  copy.forget();
  // A fresh page: nothing of the person stays in memory or on the screen (with the identity
  // provider, the page goes there to end its session too).
  if (!(await endSession('/field/'))) window.location.reload();
}

$('#sign-in').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.target;
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  $('#sign-in-error').textContent = '';
  try {
    const problem = await signInAndUnlock(form);
    if (problem) {
      $('#sign-in-error').textContent = problem;
      return;
    }
    form.reset();
    form.username.readOnly = false;
    $('#previous').hidden = true;
    await enter();
  } catch (error) {
    $('#sign-in-error').textContent = describe(error);
  } finally {
    button.disabled = false;
  }
});
document.querySelectorAll('nav.views button').forEach((b) => b.addEventListener('click', () => showView(b.dataset.view)));
$('#sync').addEventListener('click', sync);
$('#sign-out').addEventListener('click', signOut);
$('#language').addEventListener('click', () => {
  setLanguage(language() === 'es' ? 'en' : 'es');
  translateField();
  retranslateForm();
  showNetwork();
  showCopyStatus();
  if (vault.owner()) showWaiting();
});
window.addEventListener('online', () => { showNetwork(); sync(); });
window.addEventListener('offline', showNetwork);
setupForm({ onSave: save, onCancel: () => { startOver(); showView('find'); } });
keepDraftWhileTyping();
setupFind();
setupVisit({ onSave: saveVisit, onCancel: () => showView('find') });
addHouseholdAction(offerVisit);
whenSessionEnds(askToSignInAgain);
if ('serviceWorker' in navigator) navigator.serviceWorker.register('/field/sw.js', { scope: '/field/' });
if (navigator.storage && navigator.storage.persist) navigator.storage.persist();
translateField();
showNetwork();
vault.openDatabase();
loadSession().then(() => showSignInWay());
