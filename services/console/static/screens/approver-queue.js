// The approver's queue: programme versions waiting for a second person, with what changed from
// the version before, and every batch proposed across alerts, with its coverage and cut-off and
// the household explanations at hand. The transfers service decides (four eyes: never one's own).
import { call } from '/static/api.js';
import { language, money, number, t, translate, when } from '/static/i18n.js';
import { registerScreen } from '/static/screens.js';
import '/static/screens/approver-words.js';
import { compareTable } from '/static/screens/programme-compare.js';
import '/static/screens/programme-words.js';
import { attempt, escape, table } from '/static/ui.js';

const HOUSEHOLDS_SHOWN = 50;

function paneHtml() {
  return `
  <h2 data-i18n="approver_title">${escape(t('approver_title'))}</h2>
  <section class="aq-programmes" aria-labelledby="aq-programmes-title">
    <h3 id="aq-programmes-title" data-i18n="approver_programmes">${escape(t('approver_programmes'))}</h3>
    <div class="aq-programme-list"></div>
  </section>
  <section class="aq-batches" aria-labelledby="aq-batches-title">
    <h3 id="aq-batches-title" data-i18n="approver_batches">${escape(t('approver_batches'))}</h3>
    <div class="aq-batch-list"></div>
  </section>`;
}

function decisionForm(kind, id) {
  const form = document.createElement('form');
  form.className = 'aq-decide';
  form.dataset.kind = kind;
  form.innerHTML = `<label><span>${escape(t('comment'))}</span> <textarea name="comment" rows="2" required></textarea></label>
    <button type="submit" name="approve" class="primary">${escape(t('approve'))}</button>
    <button type="button" name="reject">${escape(t('reject'))}</button>`;
  form.dataset.id = id;
  return form;
}

// -- programme versions ----------------------------------------------------------------------

async function showProgrammes(pane) {
  const box = pane.querySelector('.aq-programme-list');
  const lang = language();
  const programmes = await attempt(() => call('transfers', `/v1/programmes?lang=${lang}`));
  if (!programmes) return;
  const waiting = programmes.filter((p) => p.state === 'draft');
  box.innerHTML = waiting.length ? '' : `<p class="muted">${escape(t('approver_no_programmes'))}</p>`;
  for (const version of waiting) {
    const before = version.version > 1
      ? await call('transfers', `/v1/programmes/${encodeURIComponent(version.id)}?version=${version.version - 1}&lang=${lang}`).catch(() => null)
      : null;
    const item = document.createElement('article');
    item.className = 'aq-programme';
    item.dataset.programme = version.id;
    item.dataset.version = String(version.version);
    item.innerHTML = `<h4>${escape(version.name)} v${version.version}</h4>
      <p class="muted">${escape(t('programme_author'))}: ${escape(version.created_by)} · ${escape(when(version.created_at))}
        <span class="state">${escape(t('programme_state_draft'))}</span></p>
      <h5>${escape(before ? `${t('approver_changed_since')} v${before.version}` : t('approver_new_programme'))}</h5>
      ${compareTable(before, version, { onlyChanged: !!before })}`;
    const form = decisionForm('programme', version.id);
    const decide = async (approve) => {
      const comment = form.comment.value.trim();
      if (comment.length < 3) { form.comment.focus(); form.comment.setAttribute('aria-invalid', 'true'); return; }
      const path = `/v1/programmes/${encodeURIComponent(version.id)}/versions/${version.version}/review`;
      const done = await attempt(() => call('transfers', path, { method: 'POST', json: { approve, comment } }));
      if (done) await showProgrammes(pane);
    };
    form.addEventListener('submit', (event) => { event.preventDefault(); decide(true); });
    form.reject.addEventListener('click', () => decide(false));
    item.append(form);
    box.append(item);
  }
}

// -- batches -----------------------------------------------------------------------------------

async function explain(item, householdId) {
  const box = item.querySelector('.aq-why');
  const answer = await attempt(() => call('transfers', `/v1/households/${encodeURIComponent(householdId)}/decisions?lang=${language()}`));
  if (!answer) return;
  box.hidden = false;
  box.innerHTML = `<h5>${escape(t('approver_why'))} ${escape(householdId)}</h5>`
    + answer.decisions.map((d) => `<p><strong>${escape(d.programme)}</strong> v${d.programme_version}:
      ${escape(t(`programme_status_${d.status}`))}</p>
      <ul class="why">${d.explanation.map((line) => `<li>${escape(line)}</li>`).join('')}</ul>`).join('');
  box.focus();
}

async function showHouseholds(item, batch) {
  const box = item.querySelector('.aq-households');
  const page = await attempt(() => call('transfers', `/v1/batches/${batch.id}/payments?limit=${HOUSEHOLDS_SHOWN}`));
  if (!page) return;
  box.innerHTML = table([{ label: t('household_id') }, { label: t('amount'), n: true }, { label: t('state') }],
    page.payments.map((p) => [`<button type="button" class="aq-household link" data-household="${escape(p.household_id)}">${escape(p.household_id)}</button>`,
      money(p.amount, p.currency), escape(p.state)]))
    + (batch.households > page.payments.length ? `<p class="muted">${number(page.payments.length)} / ${number(batch.households)}</p>` : '');
  box.querySelectorAll('.aq-household').forEach((b) => b.addEventListener('click', () => explain(item, b.dataset.household)));
}

function batchItem(batch, names, alerts) {
  const item = document.createElement('article');
  item.className = 'aq-batch batch';
  item.dataset.batch = batch.id;
  const alert = alerts[batch.incident_id];
  const cell = (key, value) => `<span data-field="${key}">${escape(value)}</span>`;
  item.innerHTML = `<h4>${escape(names[batch.programme_id] || batch.programme_id)} (v${batch.programme_version}, ${escape(batch.kind)})
      <span class="state">${escape(batch.state)}</span></h4>
    <p class="muted">${escape(t('approver_alert'))}: ${escape(alert ? alert.headline || alert.event : batch.incident_id)} ·
      ${escape(t('proposed'))}: ${escape(when(batch.proposed_at))} (${escape(batch.proposed_by)})
      ${batch.review_reason ? ` · ${escape(batch.review_reason)}` : ''}
      ${batch.first_approved_by ? ` · ${escape(t('approver_first_approval'))}: ${escape(batch.first_approved_by)}` : ''}</p>
    ${table([{ label: '' }, { label: '', n: true }], [
      [escape(t('households')), cell('households', number(batch.households))],
      [escape(t('amount')), cell('total', money(batch.total, batch.currency))],
      [escape(t('approver_requested')), cell('requested', money(batch.requested, batch.currency))],
      [escape(t('approver_budget')), cell('budget', money(batch.budget, batch.currency))],
      [escape(t('coverage')), cell('coverage', batch.coverage == null ? '—' : `${Math.round(batch.coverage * 100)} %`)],
      [escape(t('cut_off')), cell('cut_off_score', batch.cut_off_score == null ? '—' : number(batch.cut_off_score))],
      [escape(t('below_cut_off')), cell('below_cut_off', number(batch.below_cut_off))],
    ])}
    <button type="button" class="aq-show-households" data-i18n="approver_households">${escape(t('approver_households'))}</button>
    <div class="aq-households"></div>
    <div class="aq-why" tabindex="-1" hidden></div>`;
  item.querySelector('.aq-show-households').addEventListener('click', () => showHouseholds(item, batch));
  return item;
}

async function showBatches(pane) {
  const box = pane.querySelector('.aq-batch-list');
  const answer = await attempt(() => call('transfers', '/v1/batches?state=proposed'));
  if (!answer) return;
  const programmes = (await call('transfers', '/v1/programmes').catch(() => [])) || [];
  const names = Object.fromEntries(programmes.map((p) => [p.id, p.name]));
  const alerts = Object.fromEntries(((await call('alerts', '/v1/alerts?limit=50').catch(() => [])) || []).map((a) => [a.id, a]));
  box.innerHTML = answer.batches.length ? '' : `<p class="muted">${escape(t('approver_no_batches'))}</p>`;
  for (const batch of answer.batches) {
    const item = batchItem(batch, names, alerts);
    const form = decisionForm('batch', batch.id);
    const decide = async (verb) => {
      const comment = form.comment.value.trim();
      if (!comment) { form.comment.focus(); form.comment.setAttribute('aria-invalid', 'true'); return; }
      const done = await attempt(() => call('transfers', `/v1/batches/${batch.id}/${verb}`, { method: 'POST', json: { comment }, idempotent: true }));
      if (done) await showBatches(pane);
    };
    form.addEventListener('submit', (event) => { event.preventDefault(); decide('approve'); });
    form.reject.addEventListener('click', () => decide('reject'));
    item.append(form);
    box.append(item);
  }
}

async function show(box) {
  await Promise.all([showProgrammes(box), showBatches(box)]);
  box.dataset.loaded = 'true';
}

registerScreen({
  id: 'approvals',
  roles: ['approver'],
  label: 'approver_tab',
  wide: true,
  async mount(pane) {
    const box = document.createElement('div');
    box.className = 'approver-queue';
    box.innerHTML = paneHtml();
    pane.append(box);
    translate(box);
    document.querySelector('#language')?.addEventListener('click', () => { if (!box.closest('[hidden]')) this.refresh(pane); });
    await show(box);
  },
  async refresh(pane) {
    const box = pane.querySelector('.approver-queue');
    if ([...box.querySelectorAll('textarea')].some((area) => area.value)) return; // a comment being written
    delete box.dataset.loaded;
    translate(box);
    await show(box);
  },
});
