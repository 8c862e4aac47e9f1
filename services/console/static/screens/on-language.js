// A screen drawn from a service's answers draws again when the page's language changes (the
// header's button sets <html lang> through translate()).
import { language } from '/static/i18n.js';

export function whenLanguageChanges(action) {
  let last = language();
  new MutationObserver(() => {
    if (language() === last) return;
    last = language();
    action();
  }).observe(document.documentElement, { attributes: true, attributeFilter: ['lang'] });
}
