// What every screen of the console shares: escaping, tables, errors shown where the person looks.
import { ApiError, describe, session } from '/static/api.js';
import { translate } from '/static/i18n.js';

export const $ = (selector, root = document) => root.querySelector(selector);

const ENTITIES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

// Everything a service returns is text, never markup: in element content and in attributes.
export function escape(text) {
  return (text == null ? '' : String(text)).replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

// headers: [{ label, n }] (n: a number column, right-aligned); rows: cells already escaped.
export function table(headers, rows) {
  const head = headers.map((h) => `<th scope="col" class="${h.n ? 'n' : ''}">${escape(h.label)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c, i) => `<td class="${headers[i].n ? 'n' : ''}">${c}</td>`).join('')}</tr>`).join('');
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

// The error element of the screen being shown (each screen has one; the console's own otherwise).
let errorElement = () => $('#error');

export function showErrorIn(element) { errorElement = () => element; }

export function showError(error, element = errorElement()) {
  if (element) element.textContent = error ? describe(error) : '';
}

let onSignedOut = () => {};
export function whenSignedOut(action) { onSignedOut = action; }

// Run an action; a refusal is shown on the screen being shown (or in ``errorIn``: work of one
// screen that finishes while another is shown must not clear or fill that one's message), an
// ended session goes back to sign-in.
export async function attempt(action, { errorIn } = {}) {
  const element = errorIn || errorElement();
  showError(null, element);
  try {
    return await action();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      session.clear();
      onSignedOut();
    }
    showError(error, element);
    return undefined;
  }
}

// What a screen drew from a service's answer, drawn again in the other language when the page's
// language changes (<html lang>, set by translate()), from the same answer: nothing is asked again.
// Only for what shows answers, never for a form being filled (its typed values are not markup).
// A drawing replaced since by other means (a list cleared, a form put in its place) is forgotten.
const drawings = new Map();

export function draw(element, render) {
  element.innerHTML = render();
  translate(element);
  drawings.set(element, { render, html: element.innerHTML });
}

let drawnIn = document.documentElement.lang;
new MutationObserver(() => {
  if (document.documentElement.lang === drawnIn) return;
  drawnIn = document.documentElement.lang;
  for (const [element, drawing] of drawings) {
    if (!element.isConnected || element.innerHTML !== drawing.html) { drawings.delete(element); continue; }
    element.innerHTML = drawing.render();
    translate(element);
    drawing.html = element.innerHTML;
  }
}).observe(document.documentElement, { attributes: true, attributeFilter: ['lang'] });
