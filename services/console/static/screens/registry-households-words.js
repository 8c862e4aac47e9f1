// Words of the registry officer's household search and history.
import { addWords } from '/static/i18n.js';

addWords({
  en: {
    reg_hh_tab: 'Households', reg_hh_text: 'Head’s name, registration number or household id', reg_hh_area: 'Admin area (optional)',
    reg_hh_search: 'Search', reg_hh_none: 'No household found in your areas.', reg_hh_found: 'Households found',
    reg_hh_history: 'History', reg_hh_when: 'When', reg_hh_who: 'Who', reg_hh_changes: 'What changed',
    reg_hh_registered: 'Registered', reg_hh_source: 'Source', reg_hh_more: 'More households match: refine the search.',
  },
  es: {
    reg_hh_tab: 'Hogares', reg_hh_text: 'Nombre del jefe/a, número de registro o id del hogar', reg_hh_area: 'Área administrativa (opcional)',
    reg_hh_search: 'Buscar', reg_hh_none: 'No se encontró ningún hogar en sus áreas.', reg_hh_found: 'Hogares encontrados',
    reg_hh_history: 'Historial', reg_hh_when: 'Cuándo', reg_hh_who: 'Quién', reg_hh_changes: 'Qué cambió',
    reg_hh_registered: 'Registrado', reg_hh_source: 'Origen', reg_hh_more: 'Hay más hogares: precise la búsqueda.',
  },
});
