// Civil protection: follow an agency's CAP feed and see what became of each feed followed — when
// it was last read and changed, how many messages it gave, the entries refused and why, its last
// error — read one now, or stop following it.
import { call } from '/static/api.js';
import { number, t, translate, when } from '/static/i18n.js';
import { registerScreen } from '/static/screens.js';
import '/static/screens/civil-words.js';
import { attempt, escape, table } from '/static/ui.js';

let pane = null;

function skeleton() {
  return `
    <h2 data-i18n="civil_feeds_title"></h2>
    <form class="civil-feed">
      <h3 data-i18n="civil_follow"></h3>
      <label><span data-i18n="civil_url"></span> <input name="url" type="url" required maxlength="2000" autocomplete="off"></label>
      <label><span data-i18n="civil_sender"></span> <input name="sender" required maxlength="255" autocomplete="off"></label>
      <label><span data-i18n="civil_interval"></span> <input name="interval_seconds" type="number" min="30" max="86400" value="60" required></label>
      <label><span data-i18n="civil_allowed_hosts"></span> <input name="allowed_hosts" autocomplete="off"></label>
      <button type="submit" data-i18n="civil_add_feed"></button>
    </form>
    <section class="civil-feed-list" aria-live="polite"></section>`;
}

function feedView(feed) {
  const rows = [
    ['civil_sender', escape(feed.sender)],
    ['civil_added_by', `${escape(feed.added_by)} · ${escape(when(feed.added_at))}`],
    ['civil_interval', number(feed.interval_seconds)],
    ['civil_last_fetch', escape(when(feed.last_fetch_at))],
    ['civil_last_change', escape(when(feed.last_change_at))],
    ['civil_next_fetch', escape(when(feed.next_fetch_at))],
    ['civil_taken', `<span data-field="taken">${number(feed.taken)}</span>`],
    ['civil_failures', `<span data-field="failures">${number(feed.failures)}</span>`],
    ['civil_last_error', `<span data-field="last_error">${escape(feed.last_error || '—')}</span>`],
  ];
  const refused = (feed.refused || []).map((r) => `<li>${escape(r.entry)}: ${escape(r.reason)} (${escape(when(r.at))})</li>`).join('');
  return `<div class="civil-card" data-feed="${escape(feed.id)}">
    <strong class="civil-url">${escape(feed.url)}</strong>
    ${table([{ label: '' }, { label: '' }], rows.map(([key, value]) => [escape(t(key)), value]))}
    ${refused ? `<h4>${escape(t('civil_refused'))}</h4><ul class="civil-refused">${refused}</ul>` : ''}
    <button type="button" name="read" data-i18n="civil_read_now"></button>
    <button type="button" name="stop" data-i18n="civil_stop"></button>
  </div>`;
}

async function loadFeeds() {
  const feeds = await attempt(() => call('alerts', '/v1/feeds'));
  if (!feeds) return;
  const box = pane.querySelector('.civil-feed-list');
  box.innerHTML = feeds.length ? feeds.map(feedView).join('') : `<p class="muted">${escape(t('civil_no_feeds'))}</p>`;
  translate(box);
  box.querySelectorAll('[data-feed]').forEach((card) => {
    const id = encodeURIComponent(card.dataset.feed);
    card.querySelector('[name=read]').addEventListener('click', async () => {
      if (await attempt(() => call('alerts', `/v1/feeds/${id}/read`, { method: 'POST' }))) await loadFeeds();
    });
    card.querySelector('[name=stop]').addEventListener('click', async () => {
      if (!window.confirm(t('civil_stop_confirm'))) return;
      if (await attempt(() => call('alerts', `/v1/feeds/${id}`, { method: 'DELETE', raw: true }))) await loadFeeds();
    });
  });
}

async function follow(form) {
  const feed = await attempt(() => call('alerts', '/v1/feeds', {
    method: 'POST',
    json: {
      url: form.url.value.trim(), sender: form.sender.value.trim(), interval_seconds: Number(form.interval_seconds.value),
      allowed_hosts: form.allowed_hosts.value.split(/\s+/).filter(Boolean),
    },
  }));
  if (!feed) return;
  form.reset();
  await loadFeeds();
}

registerScreen({
  id: 'civil-feeds',
  roles: ['civil_protection'],
  label: 'civil_feeds_tab',
  mount(element) {
    pane = element;
    pane.insertAdjacentHTML('beforeend', skeleton());
    translate(pane);
    const form = pane.querySelector('.civil-feed');
    form.addEventListener('submit', (event) => { event.preventDefault(); follow(form); });
    loadFeeds();
  },
  refresh() { loadFeeds(); },
});
