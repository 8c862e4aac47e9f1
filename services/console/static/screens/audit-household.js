// A household's decisions explained for an auditor: each programme's decision, its arithmetic and
// reasons in plain words, and the payments made for it.
import { call } from '/static/api.js';
import { language, money, t, when } from '/static/i18n.js';
import { registerScreen } from '/static/screens.js';
import { $, attempt, escape, table } from '/static/ui.js';
import { grievanceLinks } from '/static/screens/grievance-common.js';
import { paymentsTable } from '/static/screens/payments-files.js';
import { whenLanguageChanges } from '/static/screens/on-language.js';
import '/static/screens/audit-words.js';
import '/static/screens/payments-words.js';

function decision(d, currency) {
  return `<section class="decision">
    ${table([{ label: '' }, { label: '' }], [
      [escape(t('audit_programme')), `${escape(d.programme)} (v${escape(d.programme_version)})`],
      [escape(t('audit_decided_at')), when(d.decided_at)],
      [escape(t('audit_status')), `<span class="state">${escape(d.status)}</span>`],
      [escape(t('audit_band')), escape(d.band || '—')],
      [escape(t('audit_amount')), currency ? money(d.amount, currency) : escape(d.amount)],
    ])}
    <h4>${escape(t('audit_why'))}</h4>
    <ul class="why">${d.explanation.map((line) => `<li>${escape(line)}</li>`).join('')}</ul></section>`;
}

async function explain(pane, id) {
  const box = $('[data-role=decisions]', pane);
  const answer = await attempt(() => call('transfers', `/v1/households/${encodeURIComponent(id)}/decisions?lang=${language()}`));
  if (!answer) { box.innerHTML = ''; return; }
  box.dataset.household = id;
  const currency = answer.payments[0]?.currency;
  box.innerHTML = answer.decisions.length
    ? answer.decisions.map((d) => decision(d, currency)).join('')
      + (answer.payments.length ? `<h4>${escape(t('audit_payments'))}</h4><div class="scroll" tabindex="0" role="region" aria-label="${escape(t('audit_payments'))}">${paymentsTable(answer.payments, { withBatch: true })}</div>` : '')
    : `<p class="muted">${escape(t('audit_no_decisions'))}</p>`;
  box.insertAdjacentHTML('beforeend', grievanceLinks(id));
}

registerScreen({
  id: 'audit-household',
  roles: ['auditor'],
  label: 'audit_household_tab',
  mount(pane) {
    pane.insertAdjacentHTML('beforeend', `
      <form class="inline" data-role="explain">
        <label><span data-i18n="audit_household_id"></span> <input name="id" required autocomplete="off"></label>
        <button type="submit" data-i18n="audit_explain"></button>
      </form>
      <div data-role="decisions"></div>`);
    $('form[data-role=explain]', pane).addEventListener('submit', (event) => {
      event.preventDefault();
      explain(pane, event.target.id.value.trim());
    });
    whenLanguageChanges(() => this.refresh(pane));
  },
  refresh(pane) {
    const id = $('[data-role=decisions]', pane).dataset.household;
    if (id) explain(pane, id);
  },
});
