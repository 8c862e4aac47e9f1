// What the registry officer's screens show of households and their people: as the registry gave
// them (a document or phone the registry masked stays masked), escaped, in the page's language.
import { escape } from '/static/ui.js';
import { t, number } from '/static/i18n.js';
import '/static/screens/registry-people-words.js';

const RELATIONSHIPS = {
  head: 'reg_p_head_rel', spouse: 'reg_p_spouse', child: 'reg_p_child', grandchild: 'reg_p_grandchild',
  parent: 'reg_p_parent', sibling: 'reg_p_sibling', other_relative: 'reg_p_other_relative', not_related: 'reg_p_not_related',
};

export function say(key, n) { return t(key).replace('{n}', n); }

export function relationship(value) { return RELATIONSHIPS[value] ? t(RELATIONSHIPS[value]) : value || ''; }

export function sex(value) { return { female: t('reg_p_female'), male: t('reg_p_male') }[value] || value || ''; }

export function fullName(member) { return `${member.given_names || ''} ${member.family_names || ''}`.trim(); }

export function birth(member) {
  return member.birth_date || (member.age_estimate != null ? say('reg_p_age', member.age_estimate) : '—');
}

// Only the last four characters of a document number: what the registry itself shows masked.
export function masked(value) {
  if (!value) return '';
  const text = String(value);
  return '•'.repeat(Math.max(0, text.length - 4)) + text.slice(-4);
}

export function documentOf(member, { mask = false } = {}) {
  if (!member.document_number) return '—';
  const shown = mask ? masked(member.document_number) : member.document_number;
  const type = member.document_type ? t(`reg_p_${member.document_type}`) : '';
  return `${type.startsWith('reg_p_') ? member.document_type : type} ${shown}`.trim();
}

// The people of a household; `marked` (a member id) is the person the pair is about.
export function membersTable(household, { marked, mask = false } = {}) {
  const headers = ['reg_p_name', 'reg_p_relationship', 'reg_p_sex', 'reg_p_birth', 'reg_p_document', 'reg_p_phone'];
  const head = headers.map((k) => `<th scope="col">${escape(t(k))}</th>`).join('');
  const body = household.members.map((m) => {
    const cells = [
      `${m.id === marked ? '<span class="reg-mark">≈</span> ' : ''}${escape(fullName(m))}`,
      escape(relationship(m.relationship)),
      escape(sex(m.sex)),
      escape(birth(m)),
      escape(documentOf(m, { mask })),
      escape((mask ? masked(m.phone) : m.phone) || '—'),
    ];
    return `<tr class="${m.id === marked ? 'reg-match' : ''}">${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
  }).join('');
  return scrolling(`<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`, t('reg_p_members'));
}

// A table too wide for a phone scrolls sideways in its own region (reachable by keyboard).
export function scrolling(html, label) {
  return `<div class="reg-scroll" role="region" tabindex="0" aria-label="${escape(label)}">${html}</div>`;
}

// The registry's reasons for a probable duplicate, in the page's language.
export function reason(text) {
  let m;
  if (text === 'same document') return t('reg_p_same_document');
  if ((m = /^name (\d+%) alike$/.exec(text))) return say('reg_p_name_alike', m[1]);
  if (text === 'birth same') return t('reg_p_birth_same');
  if (text === 'birth close') return t('reg_p_birth_close');
  if ((m = /^homes ([\d.]+) km apart$/.exec(text))) return say('reg_p_km_apart', number(Number(m[1])));
  return text;
}

// Kilometres between two homes ({lat, lon}), or null when one has no place.
export function kilometres(a, b) {
  if (!a || !b || a.lat == null || b.lat == null) return null;
  const rad = Math.PI / 180;
  const h = Math.sin(((b.lat - a.lat) * rad) / 2) ** 2
    + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(((b.lon - a.lon) * rad) / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.sqrt(h));
}
