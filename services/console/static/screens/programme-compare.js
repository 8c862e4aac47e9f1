// Two versions of a programme side by side, part by part, in the words the transfers service
// reads them in; the parts that changed are marked in words (not by colour alone).
import { t } from '/static/i18n.js';
import { PARTS } from '/static/screens/programme-form.js';
import { escape } from '/static/ui.js';

const wordsOf = (version, part) => (version ? version.rules[part] || '—' : '—');

// before: a version or null (a new programme); after: a version.
export function compareTable(before, after, { onlyChanged = false } = {}) {
  const rows = [['name', before?.name || '—', after.name], ...PARTS.map((p) => [p, wordsOf(before, p), wordsOf(after, p)])]
    .filter(([, a, b]) => !onlyChanged || a !== b);
  if (rows.length === 0) return `<p class="muted">${escape(t('programme_nothing_changed'))}</p>`;
  const label = (part) => t(part === 'name' ? 'programme_name' : `programme_${part}`);
  const head = `<tr><th scope="col">${escape(t('programme_part'))}</th>
    <th scope="col">${before ? `v${before.version}` : escape(t('programme_none'))}</th><th scope="col">v${after.version}</th></tr>`;
  const body = rows.map(([part, a, b]) => `<tr data-part="${part}" class="${a === b ? '' : 'changed'}">
    <th scope="row">${escape(label(part))}${a === b ? '' : ` <span class="pc-changed">(${escape(t('programme_changed'))})</span>`}</th>
    <td>${escape(a)}</td><td>${escape(b)}</td></tr>`).join('');
  return `<table class="programme-compare"><thead>${head}</thead><tbody>${body}</tbody></table>`;
}
