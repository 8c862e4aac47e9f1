// Payments: the batches a payments officer pays and follows; for one batch its payment files by
// channel (written, then downloaded), its payments by state, and the failed ones re-issued on a
// channel. Auditors see the same, read-only: the transfers service refuses them every change.
import { call, session } from '/static/api.js';
import { money, number, t, when } from '/static/i18n.js';
import { registerScreen } from '/static/screens.js';
import { $, attempt, escape, table } from '/static/ui.js';
import { whenLanguageChanges } from '/static/screens/on-language.js';
import '/static/screens/payments-words.js';

const PAYABLE = ['approved', 'instructed', 'settled', 'partly_failed', 'failed'];
const FORMATS = { bank_account: ['pain.001', 'csv'], mobile_money: ['csv'], cash_pickup: ['csv'] };
const PAGE = 100;

const canPay = () => session.has('payments_officer');

// A payment file, fetched with the caller's token and handed to the browser as a download.
export async function download(file) {
  const response = await attempt(() => call('transfers', `/v1/payment-files/${file.id}`, { raw: true }));
  if (!response) return;
  const blob = await response.blob();
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = `${file.message_id}.${file.format === 'pain.001' ? 'xml' : 'csv'}`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

// A batch's payments; withBatch adds the batch each belongs to (payments of several batches).
export function paymentsTable(payments, { withBatch = false } = {}) {
  const batch = withBatch ? [{ label: t('payments_batch') }] : [];
  return table([
    ...batch, { label: t('payments_e2e') }, { label: t('payments_household') }, { label: t('payments_amount'), n: true },
    { label: t('payments_channel') }, { label: t('payments_state') }, { label: t('payments_reason') },
  ], payments.map((p) => [
    ...(withBatch ? [`<code>${escape(p.batch_id.slice(0, 8))}</code>`] : []), `<code>${escape(p.end_to_end_id)}</code>`, `<code>${escape(p.household_id)}</code>`, money(p.amount, p.currency),
    escape(p.channel_type), `<span class="state">${escape(p.state)}</span>`, escape(p.reason || ''),
  ]));
}

const states = (counts) => Object.entries(counts || {}).map(([s, n]) => `${escape(s)}: ${number(n)}`).join(' · ');

async function showList(pane) {
  const answer = await attempt(() => call('transfers', '/v1/batches'));
  if (!answer) return;
  const payable = answer.batches.filter((b) => PAYABLE.includes(b.state));
  $('[data-role=batch-list]', pane).innerHTML = payable.length ? table([
    { label: t('payments_batch') }, { label: t('payments_kind') }, { label: t('payments_state') },
    { label: t('households'), n: true }, { label: t('payments_amount'), n: true }, { label: t('payments_decided') },
  ], payable.map((b) => [
    `<button type="button" class="link" data-open="${escape(b.id)}">${escape(b.id.slice(0, 8))}</button>`,
    escape(b.kind), `<span class="state">${escape(b.state)}</span>`, number(b.households),
    money(b.total, b.currency), when(b.decided_at),
  ])) : `<p class="muted">${escape(t('payments_none'))}</p>`;
}

function channelRows(batch) {
  return Object.entries(batch.payments_by_channel).map(([channel, count]) => {
    const formats = FORMATS[channel] || ['csv'];
    const form = `<form class="inline" data-write="${escape(channel)}" ${canPay() ? '' : 'hidden'}>
      <label><span>${escape(t('payments_format'))} (${escape(channel)})</span>
        <select name="format">${formats.map((f) => `<option>${escape(f)}</option>`).join('')}</select></label>
      <button type="submit">${escape(t('payments_write'))}</button></form>`;
    return [escape(channel), number(count), form];
  });
}

function reissueForm(batch) {
  const failed = batch.payments_by_state.failed || 0;
  const channels = Object.keys(FORMATS).map((c) => `<option value="${escape(c)}">${escape(c)}</option>`).join('');
  return `<form data-role="reissue" ${failed && canPay() ? '' : 'hidden'}>
    <h4>${escape(t('payments_reissue'))} (${number(failed)})</h4>
    <p class="muted">${escape(t('payments_reissue_help'))}</p>
    <label><span>${escape(t('payments_channel'))}</span>
      <select name="channel"><option value="">${escape(t('payments_same_channel'))}</option>${channels}</select></label>
    <label><span>${escape(t('payments_comment'))}</span> <textarea name="comment" rows="2" required></textarea></label>
    <button type="submit">${escape(t('payments_reissue_button'))}</button>
  </form><p data-role="reissued" class="muted"></p>`;
}

async function showPayments(pane, batchId, { more = false } = {}) {
  const box = $('[data-role=payments]', pane);
  const form = $('form[data-role=payment-filter]', pane);
  const offset = more ? Number(box.dataset.offset || 0) : 0;
  const state = form.state.value ? `&state=${encodeURIComponent(form.state.value)}` : '';
  const page = await attempt(() => call('transfers', `/v1/batches/${batchId}/payments?offset=${offset}&limit=${PAGE}${state}`));
  if (!page) return;
  const shown = more ? [...JSON.parse(box.dataset.shown || '[]'), ...page.payments] : page.payments;
  box.dataset.shown = JSON.stringify(shown);
  box.dataset.offset = String(offset + page.payments.length);
  box.innerHTML = paymentsTable(shown);
  $('[data-role=more]', pane).hidden = page.payments.length < PAGE;
}

function fileRow(file) {
  return [`<code>${escape(file.message_id)}</code>`, escape(file.channel_type), escape(file.format),
    number(file.transactions), escape(file.control_sum), escape(file.created_by), when(file.created_at),
    `<button type="button" data-download="${escape(file.id)}" ${canPay() ? '' : 'hidden'}>${escape(t('payments_download'))}</button>`];
}

async function openBatch(pane, batchId) {
  const batch = await attempt(() => call('transfers', `/v1/batches/${encodeURIComponent(batchId)}`));
  const article = $('[data-role=batch]', pane);
  if (!batch) { article.innerHTML = ''; return; }
  article.dataset.batch = batch.id;
  const files = (await attempt(() => call('transfers', `/v1/batches/${batch.id}/payment-files`)))?.files || [];
  article.innerHTML = `
    <h3>${escape(t('payments_batch'))} <code>${escape(batch.id)}</code> <span class="state" data-role="state">${escape(batch.state)}</span></h3>
    <p class="muted">${escape(batch.kind)} · ${number(batch.households)} ${escape(t('households'))} · ${money(batch.total, batch.currency)}
      · ${escape(t('payments_states'))}: <span data-role="states">${states(batch.payments_by_state)}</span></p>
    ${batch.review_reason ? `<p class="warning">${escape(batch.review_reason)}</p>` : ''}
    <h4>${escape(t('payments_by_channel'))}</h4>
    ${table([{ label: t('payments_channel') }, { label: t('payments_count'), n: true }, { label: '' }], channelRows(batch))}
    <div data-role="files">${files.length ? `<h4>${escape(t('payments_files'))}</h4>
      <div class="scroll" tabindex="0" role="region" aria-label="${escape(t('payments_files'))}">${table([
      { label: t('payments_message_id') }, { label: t('payments_channel') }, { label: t('payments_format') },
      { label: t('payments_transactions'), n: true }, { label: t('payments_control_sum'), n: true },
      { label: t('payments_written_by') }, { label: t('payments_written_at') }, { label: '' }], files.map(fileRow))}</div>` : ''}</div>
    <p data-role="left-out" class="warning" hidden></p>
    ${reissueForm(batch)}
    <h4>${escape(t('payments_list'))}</h4>
    <form class="inline" data-role="payment-filter">
      <label><span>${escape(t('payments_state'))}</span> <select name="state"><option value="">${escape(t('payments_any_state'))}</option>
        ${Object.keys(batch.payments_by_state).map((s) => `<option>${escape(s)}</option>`).join('')}</select></label>
      <button type="submit">${escape(t('payments_show'))}</button>
    </form>
    <div data-role="payments" class="scroll" tabindex="0" role="region" aria-label="${escape(t('payments_list'))}"></div>
    <button type="button" data-role="more" hidden>${escape(t('payments_more'))}</button>`;
  wireBatch(pane, batch, files);
  await showPayments(pane, batch.id);
}

function wireBatch(pane, batch, files) {
  const article = $('[data-role=batch]', pane);
  article.querySelectorAll('form[data-write]').forEach((form) => form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const file = await attempt(() => call('transfers', `/v1/batches/${batch.id}/instructions`, {
      method: 'POST', json: { channel_type: form.dataset.write, format: form.format.value }, idempotent: true,
    }));
    if (!file) return;
    await download(file);
    await openBatch(pane, batch.id);
    const left = Object.keys(file.not_included || {}).length;
    const note = $('[data-role=left-out]', pane);
    note.hidden = !left;
    note.textContent = left ? `${t('payments_left_out')}: ${number(left)}` : '';
  }));
  article.querySelectorAll('[data-download]').forEach((button) => button.addEventListener('click', () => {
    download(files.find((f) => f.id === button.dataset.download));
  }));
  $('form[data-role=payment-filter]', article).addEventListener('submit', (event) => {
    event.preventDefault();
    showPayments(pane, batch.id);
  });
  $('[data-role=more]', article).addEventListener('click', () => showPayments(pane, batch.id, { more: true }));
  const reissue = $('form[data-role=reissue]', article);
  reissue.addEventListener('submit', async (event) => {
    event.preventDefault();
    const json = { comment: reissue.comment.value.trim() };
    if (reissue.channel.value) json.channel_type = reissue.channel.value;
    const successor = await attempt(() => call('transfers', `/v1/batches/${batch.id}/reissue`, { method: 'POST', json, idempotent: true }));
    if (!successor) return;
    await openBatch(pane, batch.id);
    $('[data-role=reissued]', pane).innerHTML = `${escape(t('payments_reissued'))}: <code data-role="successor">${escape(successor.id)}</code>
      (${number(successor.households)} ${escape(t('households'))}, ${money(successor.total, successor.currency)}, ${states(successor.payments_by_channel)})`;
  });
}

registerScreen({
  id: 'payments',
  roles: ['payments_officer', 'auditor'],
  label: 'payments_tab',
  wide: true,
  mount(pane) {
    pane.insertAdjacentHTML('beforeend', `
      <form class="inline" data-role="open">
        <label><span data-i18n="payments_batch_id"></span> <input name="id" required autocomplete="off"></label>
        <button type="submit" data-i18n="payments_open"></button>
      </form>
      <h3 data-i18n="payments_ready"></h3>
      <div data-role="batch-list" class="scroll" tabindex="0" role="region" aria-label="${escape(t('payments_ready'))}"></div>
      <article data-role="batch"></article>`);
    $('form[data-role=open]', pane).addEventListener('submit', (event) => {
      event.preventDefault();
      openBatch(pane, event.target.id.value.trim());
    });
    $('[data-role=batch-list]', pane).addEventListener('click', (event) => {
      const id = event.target.closest('[data-open]')?.dataset.open;
      if (id) openBatch(pane, id);
    });
    showList(pane);
    whenLanguageChanges(() => this.refresh(pane));
  },
  refresh(pane) {
    showList(pane);
    const open = $('[data-role=batch]', pane).dataset.batch;
    if (open) openBatch(pane, open);
  },
});
