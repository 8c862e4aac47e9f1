// Small helpers the field app's views share.

export const $ = (selector) => document.querySelector(selector);

export function escape(text) {
  const div = document.createElement('div');
  div.textContent = text == null ? '' : String(text);
  return div.innerHTML;
}

/** Show one of the app's views: register, find or waiting. */
export function showView(name) {
  document.querySelectorAll('#app .view').forEach((view) => { view.hidden = view.dataset.view !== name; });
  document.querySelectorAll('nav.views button').forEach((b) => {
    if (b.dataset.view === name) b.setAttribute('aria-current', 'page');
    else b.removeAttribute('aria-current');
  });
}

/** A line of news above the views (saved, migrated, session ended…). */
export function notice(text) {
  $('#notice').textContent = text || '';
}

/** A button with a text and an action. */
export function button(text, action, className = '') {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = text;
  if (className) b.className = className;
  b.addEventListener('click', action);
  return b;
}

/** The head's name in a household body or a household read back, for lists. */
export function headName(household) {
  const head = household && household.members && household.members.find((m) => m.relationship === 'head');
  return head ? `${head.given_names} ${head.family_names}` : '';
}
