// English and Spanish, for the console and the field app. Elements carry data-i18n="key".

const WORDS = {
  en: {
    title: 'Amparo — decision console', sign_in: 'Sign in', sign_out: 'Sign out', username: 'Username',
    password: 'Password', alerts: 'Alerts', what_if: 'What-if', household: 'Household', no_alerts: 'No alerts yet.',
    exposure: 'Exposure', households: 'Households', people: 'People', by_band: 'By band', by_area: 'By admin area',
    band: 'Band', area: 'Area', vulnerable: 'Vulnerable groups', children_under_5: 'Children under 5',
    elderly_65_plus: 'People 65+', persons_with_disabilities: 'Persons with disabilities',
    female_headed: 'Female-headed households', programmes: 'Triggered programmes and batches', batch: 'Batch',
    state: 'State', amount: 'Amount', coverage: 'Budget coverage', cut_off: 'Cut-off score',
    below_cut_off: 'Below the cut-off', timeline: 'First alert → proposal → decision', comment: 'Comment',
    approve: 'Approve', reject: 'Reject', download: 'Payment file', reconciliation: 'Payments by state',
    no_batches: 'No batch proposed for this alert.', draw: 'Draw an area', finish: 'Finish area',
    clear: 'Clear', upload: 'Or upload GeoJSON', draw_help: 'Click the map to add corners, then finish.',
    variant: 'Programme variant', base: 'Base amount', budget: 'Budget per incident', compute: 'Compute',
    cost: 'Cost', eligible: 'Eligible households', household_id: 'Household id', why: 'Why?',
    language: 'Español', severity: 'Severity', sent: 'Sent', expires: 'Expires', sender: 'Issued by',
    statements: 'What the alert says', urgency: 'Urgency', certainty: 'Certainty', areas_count: 'Areas',
    after_alert: 'Since the alert', arrived: 'Households arrived in its areas', moved_out: 'Households that left',
    footprints: 'Hazard footprints', grid: 'Exposure grid', boundaries: 'Admin boundaries',
    not_allowed: 'Your role does not show this.', loading: 'Loading…', approved_by: 'Decided by',
    proposed: 'Proposed', decided: 'Decided', minutes: 'min', select_alert: 'Select an alert.',
    what_if_alert: 'Select an alert first.', channel: 'Channel', format: 'Format', write_file: 'Write file',
    // field app
    field_title: 'Amparo — field registration', register: 'Register household', queue: 'Waiting to sync',
    sync: 'Sync now', online: 'Online', offline: 'Offline — records are kept on this device',
    head_given: 'Head: given names', head_family: 'Head: family names', sex: 'Sex', birth_date: 'Birth date',
    members: 'Other members', admin_code: 'Admin area code', address: 'Address', locate: 'Use GPS',
    location: 'Location', consent: 'Consent given for registry and emergency transfers', female: 'female',
    male: 'male', saved: 'Saved on this device', results: 'Last sync', created: 'created',
    conflict: 'conflict', rejected: 'rejected', already_synced: 'already synced', nothing_waiting: 'Nothing waiting.',
    child: 'son or daughter', spouse: 'spouse or partner', grandchild: 'grandchild', parent: 'mother or father',
    sibling: 'brother or sister', other_relative: 'other relative', not_related: 'not related',
    sign_in_to_sync: 'Your session has ended: you can go on registering; sign in again to sync.',
    not_saved: 'Not saved on this device', still_waiting: 'records are still waiting to sync and will wait for you. Sign out?',
    // signing in through the institution's identity provider
    sign_in_provider: 'Sign in through your institution',
    sign_in_audience: "Your institution's sign-in is not set up for Amparo (the token is for another application). Ask your administrator.",
    sign_in_no_role: 'You are signed in at your institution but hold no role in Amparo. Ask your administrator for one.',
    sign_in_expired: 'Your session has ended: sign in again.',
    sign_in_failed: 'The sign-in did not complete: try again.',
    sign_in_unavailable: "Your institution's sign-in cannot be reached right now: try again later.",
  },
  es: {
    title: 'Amparo — consola de decisión', sign_in: 'Ingresar', sign_out: 'Salir', username: 'Usuario',
    password: 'Contraseña', alerts: 'Alertas', what_if: 'Simulación', household: 'Hogar',
    no_alerts: 'Aún no hay alertas.', exposure: 'Exposición', households: 'Hogares', people: 'Personas',
    by_band: 'Por nivel', by_area: 'Por área administrativa', band: 'Nivel', area: 'Área',
    vulnerable: 'Grupos vulnerables', children_under_5: 'Niñas y niños menores de 5',
    elderly_65_plus: 'Personas de 65+', persons_with_disabilities: 'Personas con discapacidad',
    female_headed: 'Hogares con jefatura femenina', programmes: 'Programas activados y lotes', batch: 'Lote',
    state: 'Estado', amount: 'Monto', coverage: 'Cobertura del presupuesto', cut_off: 'Puntaje de corte',
    below_cut_off: 'Bajo el corte', timeline: 'Primera alerta → propuesta → decisión', comment: 'Comentario',
    approve: 'Aprobar', reject: 'Rechazar', download: 'Archivo de pago', reconciliation: 'Pagos por estado',
    no_batches: 'No hay lote propuesto para esta alerta.', draw: 'Dibujar un área', finish: 'Cerrar área',
    clear: 'Borrar', upload: 'O subir GeoJSON', draw_help: 'Haga clic en el mapa para agregar vértices y cierre.',
    variant: 'Variante del programa', base: 'Monto base', budget: 'Presupuesto por evento', compute: 'Calcular',
    cost: 'Costo', eligible: 'Hogares elegibles', household_id: 'Id del hogar', why: '¿Por qué?',
    language: 'English', severity: 'Severidad', sent: 'Emitida', expires: 'Vence', sender: 'Emitida por',
    statements: 'Lo que dice la alerta', urgency: 'Urgencia', certainty: 'Certeza', areas_count: 'Áreas',
    after_alert: 'Desde la alerta', arrived: 'Hogares llegados a sus áreas', moved_out: 'Hogares que salieron',
    footprints: 'Huellas de la amenaza', grid: 'Cuadrícula de exposición', boundaries: 'Límites administrativos',
    not_allowed: 'Su rol no muestra esto.', loading: 'Cargando…', approved_by: 'Decidido por',
    proposed: 'Propuesto', decided: 'Decidido', minutes: 'min', select_alert: 'Seleccione una alerta.',
    what_if_alert: 'Seleccione primero una alerta.', channel: 'Canal', format: 'Formato',
    write_file: 'Generar archivo',
    field_title: 'Amparo — registro en campo', register: 'Registrar hogar', queue: 'Pendientes de sincronizar',
    sync: 'Sincronizar', online: 'En línea', offline: 'Sin conexión — los registros quedan en este equipo',
    head_given: 'Jefe/a: nombres', head_family: 'Jefe/a: apellidos', sex: 'Sexo', birth_date: 'Fecha de nacimiento',
    members: 'Otros integrantes', admin_code: 'Código del área', address: 'Dirección', locate: 'Usar GPS',
    location: 'Ubicación', consent: 'Consentimiento para el registro y las transferencias de emergencia',
    female: 'mujer', male: 'hombre', saved: 'Guardado en este equipo', results: 'Última sincronización',
    created: 'creado', conflict: 'conflicto', rejected: 'rechazado', already_synced: 'ya sincronizado',
    nothing_waiting: 'Nada pendiente.', child: 'hijo o hija', spouse: 'esposo/a o pareja', grandchild: 'nieto o nieta',
    parent: 'madre o padre', sibling: 'hermano o hermana', other_relative: 'otro pariente', not_related: 'no pariente',
    sign_in_to_sync: 'Su sesión terminó: puede seguir registrando; ingrese de nuevo para sincronizar.',
    not_saved: 'No se guardó en este equipo', still_waiting: 'registros esperan sincronizar y lo esperarán. ¿Salir?',
    sign_in_provider: 'Ingresar con su institución',
    sign_in_audience: 'El ingreso de su institución no está configurado para Amparo (el token es para otra aplicación). Consulte a su administrador.',
    sign_in_no_role: 'Ingresó en su institución pero no tiene ningún rol en Amparo. Pida uno a su administrador.',
    sign_in_expired: 'Su sesión terminó: ingrese de nuevo.',
    sign_in_failed: 'El ingreso no se completó: inténtelo de nuevo.',
    sign_in_unavailable: 'El ingreso de su institución no responde ahora: inténtelo más tarde.',
  },
};

// A screen's own words, kept in its own file: addWords({ en: {...}, es: {...} }).
export function addWords(words) {
  for (const [lang, entries] of Object.entries(words)) {
    for (const key of Object.keys(entries)) {
      if (key in WORDS[lang]) throw new Error(`the word ${key} (${lang}) is defined twice`);
    }
    Object.assign(WORDS[lang], entries);
  }
}

export function language() {
  return localStorage.getItem('amparo.lang') || (navigator.language.startsWith('es') ? 'es' : 'en');
}

export function setLanguage(lang) {
  localStorage.setItem('amparo.lang', lang);
  translate();
}

export function t(key) {
  return WORDS[language()][key] ?? WORDS.en[key] ?? key;
}

export function translate(root = document) {
  document.documentElement.lang = language();
  root.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
  root.querySelectorAll('[data-i18n-placeholder]').forEach((el) => { el.placeholder = t(el.dataset.i18nPlaceholder); });
}

// Dates, numbers and money in the browser's own locale (es-DO writes 4/12/2026 and RD$4,500; en-GB
// 04/12/2026 and DOP 4,500), whichever language the words are in.
export function locale() {
  return navigator.language || 'en';
}

export function number(value, options = {}) {
  return value == null ? '—' : new Intl.NumberFormat(locale(), options).format(value);
}

export function money(value, currency) {
  if (value == null) return '—';
  return new Intl.NumberFormat(locale(), { style: 'currency', currency, maximumFractionDigits: 0 }).format(Number(value));
}

const WHEN = { year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: '2-digit' };

export function when(iso) {
  return iso ? new Intl.DateTimeFormat(locale(), WHEN).format(new Date(iso)) : '—';
}
