// Civil protection: the hazard events transfers keeps (the alerts of every sender that concern one
// hazard: one payment per household per programme per hazard event), with suggestions; link two
// alerts into one hazard event, or take an alert out into one of its own.
import { call } from '/static/api.js';
import { t, translate, when } from '/static/i18n.js';
import { registerScreen } from '/static/screens.js';
import { alertOptions } from '/static/screens/civil-cap.js';
import '/static/screens/civil-words.js';
import { attempt, draw, escape, table } from '/static/ui.js';

let pane = null;

function skeleton() {
  return `
    <h2 data-i18n="civil_hazards_title"></h2>
    <form class="civil-link">
      <h3 data-i18n="civil_link"></h3>
      <label><span data-i18n="civil_link_alert"></span> <select name="incident_id" required></select></label>
      <label><span data-i18n="civil_link_with"></span> <select name="with_incident_id" required></select></label>
      <label><span data-i18n="civil_reason"></span> <textarea name="reason" rows="2" required minlength="3" maxlength="1000"></textarea></label>
      <button type="submit" data-i18n="civil_link_button"></button>
    </form>
    <form class="civil-split">
      <h3 data-i18n="civil_split"></h3>
      <label><span data-i18n="civil_link_alert"></span> <select name="incident_id" required></select></label>
      <label><span data-i18n="civil_reason"></span> <textarea name="reason" rows="2" required minlength="3" maxlength="1000"></textarea></label>
      <button type="submit" data-i18n="civil_split_button"></button>
    </form>
    <section class="civil-hazard-list" aria-live="polite"></section>`;
}

function hazardView(event) {
  const how = (value) => t(`civil_how_${value}`);
  return `<div class="civil-card" data-hazard-event="${escape(event.id)}">
    <h3>${escape(event.name)}</h3>
    <p class="muted">${escape(when(event.created_at))}</p>
    ${table([{ label: t('civil_alert') }, { label: t('sender') }, { label: t('civil_how') }, { label: t('civil_linked_by') }],
      event.alerts.map((a) => [`<span data-incident="${escape(a.incident_id)}">${escape(a.headline || a.event || a.incident_id)}</span>`,
        escape(a.sender || '—'), escape(how(a.how)), `${escape(a.linked_by)}${a.note ? ` — ${escape(a.note)}` : ''}`]))}
    ${event.suggestions.length ? `<h4>${escape(t('civil_suggestions'))}</h4><ul>${event.suggestions.map((s) =>
      `<li data-suggestion="${escape(s.incident_id)}">${escape(s.event || s.incident_id)} (${escape(s.sender || '—')}): ${escape(s.why.join('; '))}</li>`).join('')}</ul>` : ''}
  </div>`;
}

async function load() {
  const [alerts, events] = await Promise.all([
    attempt(() => call('alerts', '/v1/alerts?limit=100')),
    attempt(() => call('transfers', '/v1/hazard-events')),
  ]);
  if (alerts) {
    pane.querySelectorAll('select').forEach((select) => { select.innerHTML = alertOptions(alerts, select.value, escape, when); });
  }
  if (events) {
    draw(pane.querySelector('.civil-hazard-list'), () => (events.length ? events.map(hazardView).join('')
      : `<p class="muted">${escape(t('civil_no_hazards'))}</p>`));
  }
}

async function send(form, path, body) {
  const done = await attempt(() => call('transfers', path, { method: 'POST', json: body }));
  if (!done) return;
  form.reason.value = '';
  await load();
}

registerScreen({
  id: 'civil-hazards',
  roles: ['civil_protection'],
  label: 'civil_hazards_tab',
  mount(element) {
    pane = element;
    pane.insertAdjacentHTML('beforeend', skeleton());
    translate(pane);
    const link = pane.querySelector('.civil-link');
    link.addEventListener('submit', (event) => {
      event.preventDefault();
      send(link, '/v1/hazard-events/links', {
        incident_id: link.incident_id.value, with_incident_id: link.with_incident_id.value, reason: link.reason.value.trim(),
      });
    });
    const split = pane.querySelector('.civil-split');
    split.addEventListener('submit', (event) => {
      event.preventDefault();
      send(split, '/v1/hazard-events/splits', { incident_id: split.incident_id.value, reason: split.reason.value.trim() });
    });
    load();
  },
  refresh() { load(); },
});
