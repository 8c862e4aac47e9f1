// Unknown outcome: payments a provider has not settled or failed (timed out, pending), batch by
// batch, and batches waiting for a person's review. None of them is ever sent again meanwhile.
import { call } from '/static/api.js';
import { t } from '/static/i18n.js';
import { registerScreen } from '/static/screens.js';
import { $, attempt, escape, table } from '/static/ui.js';
import { paymentsTable } from '/static/screens/payments-files.js';
import { whenLanguageChanges } from '/static/screens/on-language.js';
import '/static/screens/payments-words.js';

async function show(pane) {
  const answer = await attempt(() => call('transfers', '/v1/batches'));
  if (!answer) return;
  const unknown = answer.batches.filter((b) => (b.payments_by_state.unknown || 0) > 0);
  const pages = await Promise.all(unknown.map((b) => attempt(() => call('transfers', `/v1/batches/${b.id}/payments?state=unknown&limit=5000`))));
  const payments = pages.flatMap((p) => (p ? p.payments : []));
  $('[data-role=unknown]', pane).innerHTML = payments.length
    ? paymentsTable(payments, { withBatch: true }) : `<p class="muted">${escape(t('payments_no_unknown'))}</p>`;
  const flagged = answer.batches.filter((b) => b.review_reason);
  $('[data-role=flagged]', pane).innerHTML = flagged.length ? table(
    [{ label: t('payments_batch') }, { label: t('payments_state') }, { label: t('payments_reason') }],
    flagged.map((b) => [`<code>${escape(b.id)}</code>`, `<span class="state">${escape(b.state)}</span>`, escape(b.review_reason)]),
  ) : `<p class="muted">${escape(t('payments_no_flagged'))}</p>`;
}

registerScreen({
  id: 'payments-unknown',
  roles: ['payments_officer', 'auditor'],
  label: 'payments_unknown_tab',
  wide: true,
  mount(pane) {
    pane.insertAdjacentHTML('beforeend', `
      <h3 data-i18n="payments_unknown"></h3>
      <p class="muted" data-i18n="payments_unknown_help"></p>
      <div data-role="unknown" class="scroll" tabindex="0" role="region" aria-label="${escape(t('payments_unknown'))}"></div>
      <h3 data-i18n="payments_flagged"></h3>
      <div data-role="flagged" class="scroll" tabindex="0" role="region" aria-label="${escape(t('payments_flagged'))}"></div>`);
    show(pane);
    whenLanguageChanges(() => show(pane));
  },
  refresh(pane) { show(pane); },
});
