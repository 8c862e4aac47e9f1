// The auditor's words (the audit log, its chain, a household's decisions), English and Spanish.
import { addWords } from '/static/i18n.js';

addWords({
  en: {
    audit_tab: 'Audit log', audit_household_tab: 'Decisions explained', audit_service: 'Service',
    audit_registry: 'Registry', audit_alerts: 'Alerts', audit_transfers: 'Transfers',
    audit_action: 'Action', audit_by: 'Person', audit_subject: 'Subject id', audit_outcome: 'Outcome',
    audit_any: 'any', audit_done: 'done', audit_denied: 'refused', audit_since: 'From', audit_until: 'Before',
    audit_search: 'Search', audit_older: 'Older entries', audit_position: '#', audit_at: 'When',
    audit_role: 'Role', audit_subject_col: 'Subject', audit_states: 'From → to', audit_comment: 'Comment',
    audit_none: 'No entry matches.', audit_verify: 'Verify the chains', audit_verified: 'verified: the chain is intact',
    audit_broken: 'broken', audit_entries: 'Entries', audit_last_hash: 'Last hash', audit_chain: 'Chain',
    audit_verify_help: 'Each service\'s whole log is walked from its first entry; compare the last hash with the copy of the head kept elsewhere.',
    audit_filters: 'Filters', audit_household_id: 'Household id', audit_explain: 'Explain',
    audit_programme: 'Programme', audit_version: 'Version', audit_decided_at: 'Decided', audit_status: 'Decision',
    audit_band: 'Band', audit_amount: 'Amount', audit_payments: 'Payments', audit_no_decisions: 'No decision about this household.',
    audit_why: 'Why',
  },
  es: {
    audit_tab: 'Bitácora de auditoría', audit_household_tab: 'Decisiones explicadas', audit_service: 'Servicio',
    audit_registry: 'Registro', audit_alerts: 'Alertas', audit_transfers: 'Transferencias',
    audit_action: 'Acción', audit_by: 'Persona', audit_subject: 'Id del sujeto', audit_outcome: 'Resultado',
    audit_any: 'cualquiera', audit_done: 'hecho', audit_denied: 'rechazado', audit_since: 'Desde', audit_until: 'Antes de',
    audit_search: 'Buscar', audit_older: 'Entradas anteriores', audit_position: '#', audit_at: 'Cuándo',
    audit_role: 'Rol', audit_subject_col: 'Sujeto', audit_states: 'De → a', audit_comment: 'Comentario',
    audit_none: 'Ninguna entrada coincide.', audit_verify: 'Verificar las cadenas', audit_verified: 'verificada: la cadena está intacta',
    audit_broken: 'rota', audit_entries: 'Entradas', audit_last_hash: 'Último hash', audit_chain: 'Cadena',
    audit_verify_help: 'Se recorre toda la bitácora de cada servicio desde su primera entrada; compare el último hash con la copia de la cabeza guardada en otro lugar.',
    audit_filters: 'Filtros', audit_household_id: 'Id del hogar', audit_explain: 'Explicar',
    audit_programme: 'Programa', audit_version: 'Versión', audit_decided_at: 'Decidido', audit_status: 'Decisión',
    audit_band: 'Nivel', audit_amount: 'Monto', audit_payments: 'Pagos', audit_no_decisions: 'No hay decisiones sobre este hogar.',
    audit_why: 'Por qué',
  },
});
