// Words of the registry officer's household search and history.
import { addWords } from '/static/i18n.js';

addWords({
  en: {
    reg_hh_tab: 'Households', reg_hh_text: 'Head’s name, registration number or household id', reg_hh_area: 'Admin area (optional)',
    reg_hh_search: 'Search', reg_hh_none: 'No household found in your areas.', reg_hh_found: 'Households found',
    reg_hh_history: 'History', reg_hh_when: 'When', reg_hh_who: 'Who', reg_hh_changes: 'What changed',
    reg_hh_registered: 'Registered', reg_hh_source: 'Source', reg_hh_more: 'More households match: refine the search.',
    reg_hh_messages: 'Messages', reg_hh_no_messages: 'No message to this household.', reg_hh_kind: 'About',
    reg_hh_status: 'Status', reg_hh_to: 'To', reg_hh_why: 'Why', reg_hh_text_sent: 'Text',
    reg_hh_kind_entitled: 'entitled', reg_hh_kind_approved: 'approved', reg_hh_kind_sent: 'sent',
    reg_hh_kind_settled: 'paid', reg_hh_kind_failed: 'not paid',
    reg_hh_opted_out: 'The household asked for no more messages.',
    reg_hh_erase_title: 'Erase personal data on the household’s request',
    reg_hh_erase_help: 'Names, documents, phones, account, address and birth dates are removed for good; ids, decisions and payments stay. The household becomes inactive.',
    reg_hh_erase_reference: 'Request reference', reg_hh_erase_location: 'Erase the exact location too',
    reg_hh_erase_sure: 'I understand this cannot be undone', reg_hh_erase_button: 'Erase',
    reg_hh_erased: 'This household’s personal data was erased on request.',
  },
  es: {
    reg_hh_tab: 'Hogares', reg_hh_text: 'Nombre del jefe/a, número de registro o id del hogar', reg_hh_area: 'Área administrativa (opcional)',
    reg_hh_search: 'Buscar', reg_hh_none: 'No se encontró ningún hogar en sus áreas.', reg_hh_found: 'Hogares encontrados',
    reg_hh_history: 'Historial', reg_hh_when: 'Cuándo', reg_hh_who: 'Quién', reg_hh_changes: 'Qué cambió',
    reg_hh_registered: 'Registrado', reg_hh_source: 'Origen', reg_hh_more: 'Hay más hogares: precise la búsqueda.',
    reg_hh_messages: 'Mensajes', reg_hh_no_messages: 'Ningún mensaje a este hogar.', reg_hh_kind: 'Sobre',
    reg_hh_status: 'Estado', reg_hh_to: 'A', reg_hh_why: 'Por qué', reg_hh_text_sent: 'Texto',
    reg_hh_kind_entitled: 'con derecho', reg_hh_kind_approved: 'aprobado', reg_hh_kind_sent: 'enviado',
    reg_hh_kind_settled: 'pagado', reg_hh_kind_failed: 'no pagado',
    reg_hh_opted_out: 'El hogar pidió no recibir más mensajes.',
    reg_hh_erase_title: 'Borrar los datos personales a pedido del hogar',
    reg_hh_erase_help: 'Se borran para siempre nombres, documentos, teléfonos, cuenta, dirección y fechas de nacimiento; quedan los ids, las decisiones y los pagos. El hogar queda inactivo.',
    reg_hh_erase_reference: 'Referencia de la solicitud', reg_hh_erase_location: 'Borrar también la ubicación exacta',
    reg_hh_erase_sure: 'Entiendo que no se puede deshacer', reg_hh_erase_button: 'Borrar',
    reg_hh_erased: 'Los datos personales de este hogar se borraron a su pedido.',
  },
});
