// The approver's queue's words.
import { addWords } from '/static/i18n.js';

addWords({
  en: {
    approver_tab: 'To approve', approver_title: 'Waiting for your approval',
    approver_programmes: 'Programme versions', approver_batches: 'Proposed batches, every alert',
    approver_no_programmes: 'No programme version is waiting.', approver_no_batches: 'No batch is waiting.',
    approver_changed_since: 'What changed since', approver_new_programme: 'A new programme: its rules',
    approver_alert: 'Alert', approver_first_approval: 'First approval', approver_requested: 'Requested',
    approver_budget: 'Budget', approver_households: 'Households and why', approver_why: 'Why, for household',
  },
  es: {
    approver_tab: 'Por aprobar', approver_title: 'Esperan su aprobación',
    approver_programmes: 'Versiones de programas', approver_batches: 'Lotes propuestos, todas las alertas',
    approver_no_programmes: 'Ninguna versión de programa espera.', approver_no_batches: 'Ningún lote espera.',
    approver_changed_since: 'Qué cambió desde la', approver_new_programme: 'Un programa nuevo: sus reglas',
    approver_alert: 'Alerta', approver_first_approval: 'Primera aprobación', approver_requested: 'Solicitado',
    approver_budget: 'Presupuesto', approver_households: 'Hogares y por qué', approver_why: 'Por qué, para el hogar',
  },
});
