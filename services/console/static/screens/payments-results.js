// Results: a provider's result file (CSV or pain.002) imported whole; each line refused is shown
// with its line (or transaction) number and the reason, and then nothing was applied.
import { ApiError, call } from '/static/api.js';
import { number, t } from '/static/i18n.js';
import { registerScreen } from '/static/screens.js';
import { $, attempt, draw, escape, table } from '/static/ui.js';
import '/static/screens/payments-words.js';

// "line 3" / "transaction 2" as the service names a line, in the page's language.
function lineName(pointer) {
  const match = /^(line|transaction) (\d+)$/.exec(pointer || '');
  if (!match) return escape(pointer || '—');
  return `${escape(t(match[1] === 'line' ? 'payments_line_n' : 'payments_transaction_n'))} ${number(Number(match[2]))}`;
}

function contentType(file) {
  return /\.xml$/i.test(file.name) || (file.type || '').includes('xml') ? 'application/xml' : 'text/csv';
}

function showImported(box, answer) {
  draw(box, () => `<h3>${escape(t('payments_imported'))}</h3>${table([{ label: '' }, { label: '', n: true }], [
    [escape(t('payments_results')), `<span data-count="results">${number(answer.results)}</span>`],
    [escape(t('payments_settled')), `<span data-count="settled">${number(answer.settled)}</span>`],
    [escape(t('payments_failed')), `<span data-count="failed">${number(answer.failed)}</span>`],
    [escape(t('payments_unknown')), `<span data-count="unknown">${number(answer.unknown)}</span>`],
    [escape(t('payments_unchanged')), number(answer.unchanged)],
    [escape(t('payments_settled_after_reissue')), number(answer.settled_after_reissue)],
  ])}<p>${escape(t('payments_batches_moved'))}: ${answer.batches.map((b) => `<code>${escape(b)}</code>`).join(', ') || '—'}</p>`);
}

function showRefused(box, error) {
  const lines = error.problem.errors || [];
  draw(box, () => (lines.length ? `<h3>${escape(t('payments_refused_lines'))}</h3>${table(
    [{ label: t('payments_line') }, { label: t('payments_reason') }],
    lines.map((l) => [`<span data-line="${escape(l.pointer)}">${lineName(l.pointer)}</span>`, escape(l.detail)]),
  )}` : ''));
}

registerScreen({
  id: 'payment-results',
  roles: ['payments_officer'],
  label: 'payments_results_tab',
  mount(pane) {
    pane.insertAdjacentHTML('beforeend', `
      <h3 data-i18n="payments_import"></h3>
      <p class="muted" data-i18n="payments_import_help"></p>
      <form data-role="import">
        <label><span data-i18n="payments_file"></span> <input type="file" name="file" accept=".csv,.xml,text/csv,application/xml" required></label>
        <button type="submit" data-i18n="payments_import_button"></button>
      </form>
      <div data-role="outcome" aria-live="polite"></div>`);
    const form = $('form[data-role=import]', pane);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const file = form.file.files[0];
      const box = $('[data-role=outcome]', pane);
      box.innerHTML = '';
      if (!file) return;
      let refused = null;
      const answer = await attempt(async () => {
        try {
          return await call('transfers', '/v1/payment-results', {
            method: 'POST', body: await file.arrayBuffer(), contentType: contentType(file), idempotent: true,
          });
        } catch (error) {
          if (error instanceof ApiError) refused = error;
          throw error;
        }
      });
      if (answer) showImported(box, answer);
      else if (refused) showRefused(box, refused);
    });
  },
});
