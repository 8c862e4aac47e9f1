"""Spanish for every message the registry refuses with, by the English template it is written from.

The messages are written in English where each rule lives (the domain, the handlers, the views);
here each is written again with ``{name}`` where a value goes, beside its Spanish that keeps the
same values. :mod:`shared.messages_es` says why a catalogue of templates and not keys, and holds
what every service says (marshmallow's messages, tokens, roles, HTTP). A message changed in the
source without its template here stays English: ``tests/unit/test_messages_es.py`` finds it.

Codes stay codes (``female``, ``sheet_metal``, ``committed``): they are the API's words, which the
field app and the console show in their own language.
"""

from __future__ import annotations

from shared.languages import Catalogue
from shared.messages_es import PARTS as SHARED_PARTS
from shared.messages_es import SHARED

#: An error that names its fields after its message (:class:`InvalidHousehold`), or lists each
#: field with its problem (:class:`InvalidWeights`: ``weights.crowding missing, version …``; a
#: boundary layer: ``/tolerance_m give 0 to 5,000 metres; /country …``; a roster row:
#: ``enrolled_since: … is not a date; household_reference: …``).
WITH_FIELDS = {
    "{message}: {fields}": "{message}: {fields}",
    "{message}: {message_problems}": "{message}: {message_problems}",
    "{field}: {message}": "{field}: {message}",
    "{message_first}; {message_more}": "{message_first}; {message_more}",
}

#: Households and members (``domain/model.py``, ``domain/members.py``, ``domain/areas.py``).
HOUSEHOLDS = {
    "the household cannot be recorded": "no se puede registrar el hogar",
    "the location is not usable": "la ubicación no se puede usar",
    "latitude {lat} is not between -90 and 90": "la latitud {lat} no está entre -90 y 90",
    "longitude {lon} is not between -180 and 180": "la longitud {lon} no está entre -180 y 180",
    "accuracy {accuracy} must be a non-negative number of metres": (
        "la precisión {accuracy} debe ser un número de metros no negativo"
    ),
    "{code} is not an ISO 3166-2 code such as HN-CR (or HN-CR-0801)": (
        "{code} no es un código ISO 3166-2 como HN-CR (o HN-CR-0801)"
    ),
    "country {country} is not served by this registry (served: {served})": (
        "este registro no atiende al país {country} (atiende a: {served})"
    ),
    "{code} is a country; give its first-level area, e.g. {example}": (
        "{code} es un país; indique su área de primer nivel, p. ej. {example}"
    ),
    "unknown admin code {code}": "código de área administrativa desconocido: {code}",
    "({lat}, {lon}) lies outside {area} (latitude and longitude look swapped)": (
        "({lat}, {lon}) queda fuera de {area} (la latitud y la longitud parecen invertidas)"
    ),
    "({lat}, {lon}) lies outside {area}": "({lat}, {lon}) queda fuera de {area}",
    "a household has 1 to {most} members, not {count}": "un hogar tiene de 1 a {most} miembros, no {count}",
    "exactly one member must be the head of household, not {count}": (
        "exactamente un miembro debe ser jefe o jefa del hogar, no {count}"
    ),
    "member ids must be unique within the household": (
        "los identificadores de los miembros no pueden repetirse dentro del hogar"
    ),
    "only a female member can be recorded as pregnant": (
        "solo un miembro de sexo femenino puede registrarse como embarazada"
    ),
    "pregnancy at age {age} is not plausible": "un embarazo a los {age} años no es plausible",
    "{value} is not one of {allowed}": "{value} no es uno de: {allowed}",
    "{rooms} rooms is not a whole number from 1 to 50": (
        "{rooms} habitaciones no es un número entero de 1 a 50"
    ),
    "consent cannot be given in the future": "el consentimiento no puede darse en el futuro",
    "{value} is not a UUID": "{value} no es un UUID",
    "admin area {code} is outside your jurisdiction": (
        "el área administrativa {code} está fuera de su jurisdicción"
    ),
    "is required": "es obligatorio",
    "must be at most 200 printable characters": "debe tener como máximo 200 caracteres imprimibles",
    "give a birth date or an age estimate": "indique la fecha de nacimiento o una edad estimada",
    "{date} is in the future": "{date} está en el futuro",
    "{date} makes an age over {most}": "{date} da una edad de más de {most} años",
    "age {age} is not between 0 and {most}": "la edad {age} no está entre 0 y {most}",
    "not a Washington Group domain ({domains})": "no es un dominio del Grupo de Washington ({domains})",
    "not a phone number (digits, spaces, + ( ) -)": (
        "no es un número de teléfono (dígitos, espacios, + ( ) -)"
    ),
}

#: Registering, changing, reading and syncing (``service_layer``, ``entrypoints/api.py``).
REGISTRATION = {
    "no household {household}": "no existe el hogar {household}",
    "household {household} lies in {code}, outside your jurisdiction": (
        "el hogar {household} está en {code}, fuera de su jurisdicción"
    ),
    "household {household} lies outside your jurisdiction": (
        "el hogar {household} está fuera de su jurisdicción"
    ),
    "household id {household} is already in use": "el identificador de hogar {household} ya está en uso",
    "household {household} is already registered with other data": (
        "el hogar {household} ya está registrado con otros datos"
    ),
    "household ids already in use: repeated": "identificadores de hogar repetidos",
    "household ids already in use: {ids}": "identificadores de hogar ya en uso: {ids}",
    "household {household} is at version {current}, not {yours}: reload it, reapply your change and "
    "send it again": (
        "el hogar {household} está en la versión {current}, no en la {yours}: vuelva a cargarlo, "
        "aplique de nuevo su cambio y envíelo otra vez"
    ),
    "send If-Match with the ETag of the version you changed": (
        "envíe If-Match con el ETag de la versión que cambió"
    ),
    'If-Match {value} is not an ETag of this service ("<version>")': (
        'If-Match {value} no es un ETag de este servicio ("<versión>")'
    ),
    "cursor is not one this service gave out": "el cursor no es uno que este servicio haya entregado",
    "unknown cursor": "cursor desconocido",
    "the batch is too large": "el lote es demasiado grande",
    "at most {most} records per batch": "como máximo {most} registros por lote",
    "at least one record": "al menos un registro",
    "duplicate client id in this batch": "client_id repetido en este lote",
    "invalid record": "registro no válido",
    "send a household, an assessment or both": "envíe un hogar, una evaluación o ambos",
}

#: Assessments of damage and needs (``domain/assessments.py``, ``service_layer/assessments.py``).
#: Masked values sent back (``service_layer/facts.py``).
MASKED = {
    "a masked number keeps only this member's own: type it in full": (
        "un número enmascarado solo conserva el de este integrante: escríbalo completo"
    ),
    "a masked phone keeps only this member's own: type it in full": (
        "un teléfono enmascarado solo conserva el de este integrante: escríbalo completo"
    ),
}

ASSESSMENTS = {
    "the assessment event cannot be opened": "no se puede abrir el ejercicio de evaluación",
    "name the exercise (e.g. Fiona — landfall, east)": (
        "dé un nombre al ejercicio (p. ej. Fiona — llegada a tierra, este)"
    ),
    "name at least one incident (the CAP <incidents> identifier)": (
        "indique al menos un incidente (el identificador <incidents> de CAP)"
    ),
    "name at least one admin area": "indique al menos un área administrativa",
    "the exercise must close after it opens": "el ejercicio debe cerrarse después de abrirse",
    "admin areas {codes} are outside your jurisdiction": (
        "las áreas administrativas {codes} están fuera de su jurisdicción"
    ),
    "the assessment cannot be recorded": "no se puede registrar la evaluación",
    "say which shelter the household is in": "indique en qué albergue está el hogar",
    "a shelter is named only for a household displaced to one": (
        "solo se indica un albergue para un hogar desplazado a uno"
    ),
    "give the time of the visit with its time zone": "indique la hora de la visita con su zona horaria",
    "an assessment cannot be made in the future": "una evaluación no puede hacerse en el futuro",
    "the visit on {at} lies outside the exercise {name} (open from {opened})": (
        "la visita del {at} queda fuera del ejercicio {name} (abierto desde el {opened})"
    ),
    "the exercise {name} covers {codes}, not {code}": "el ejercicio {name} cubre {codes}, no {code}",
    "household {household} cannot be assessed": "no se puede evaluar el hogar {household}",
    "no assessment event {event}": "no existe el ejercicio de evaluación {event}",
    "household {household} changed while it was being assessed": (
        "el hogar {household} cambió mientras se evaluaba"
    ),
    "send it again": "envíela de nuevo",
    "household {household} was assessed again later": "el hogar {household} fue evaluado de nuevo más tarde",
    "a later visit ({at}) is recorded": "ya está registrada una visita posterior ({at})",
    "a later visit ({at}) is recorded for {name}": (
        "ya está registrada una visita posterior ({at}) para {name}"
    ),
    "{text} has no time zone: write 2022-09-20T15:00-04:00 or the day alone": (
        "{text} no tiene zona horaria: escriba 2022-09-20T15:00-04:00 o solo el día"
    ),
}

#: Programmes' rosters (``domain/enrolments.py``, ``service_layer/enrolments.py``, ``rosters_api.py``).
ROSTERS = {
    "the roster cannot be read": "no se puede leer el padrón",
    "{code} is not a programme code (2 to 32 letters, digits, _ or -)": (
        "{code} no es un código de programa (de 2 a 32 letras, dígitos, _ o -)"
    ),
    "name each household by household_reference, or by document_type and document_number": (
        "identifique cada hogar por household_reference, o por document_type y document_number"
    ),
    "the row names no household (reference or document)": (
        "la fila no identifica ningún hogar (referencia o documento)"
    ),
    "{value} is not a date (2024-03-01 or 01/03/2024)": "{value} no es una fecha (2024-03-01 o 01/03/2024)",
    "{since} is after the roster's date {date}": "{since} es posterior a la fecha del padrón, {date}",
    "the roster's areas {codes} are outside your jurisdiction": (
        "las áreas del padrón, {codes}, están fuera de su jurisdicción"
    ),
    "no roster {roster}": "no existe el padrón {roster}",
    "roster {roster} concerns areas outside your jurisdiction": (
        "el padrón {roster} concierne a áreas fuera de su jurisdicción"
    ),
    "roster {roster} is {status}": "el padrón {roster} tiene el estado {status}",
    "send the roster as a CSV or XLSX file": "envíe el padrón como archivo CSV o XLSX",
    "a date such as 2026-12-01": "una fecha como 2026-12-01",
    "true or false": "true o false",
    "a full roster names the areas it covers": "un padrón completo nombra las áreas que cubre",
    "{value} is not an admin code": "{value} no es un código de área administrativa",
}

#: Duplicates and imports (``service_layer/duplicates.py``, ``imports.py``, ``imports_api.py``) and
#: the files a roster or an import is read from (``adapters/import_files.py``).
FILES = {
    "households {a} and {b} changed meanwhile; decide again": (
        "los hogares {a} y {b} cambiaron mientras tanto; decida de nuevo"
    ),
    "household {household} changed meanwhile; decide again": (
        "el hogar {household} cambió mientras tanto; decida de nuevo"
    ),
    "{value} is not a share from 0 to 1 (0.05 stops above 5 %)": (
        "{value} no es una proporción de 0 a 1 (0.05 detiene por encima del 5 %)"
    ),
    "no duplicate candidate {candidate} in your jurisdiction": (
        "no existe el posible duplicado {candidate} en su jurisdicción"
    ),
    "candidate {candidate} was already {status}": (
        "el posible duplicado {candidate} ya se resolvió ({status})"
    ),
    "say which household to keep": "indique qué hogar se conserva",
    "one of {values}": "uno de: {values}",
    "no import {job}": "no existe la importación {job}",
    "import {job} is {status}; only a validated import can be committed": (
        "la importación {job} tiene el estado {status}; solo se puede confirmar una importación validada"
    ),
    "each field is sent once": "cada campo se envía una sola vez",
    "sent more than once": "enviado más de una vez",
    "send the file as multipart field 'file'": "envíe el archivo en el campo multipart 'file'",
    "missing": "falta",
    "unknown format {format}": "formato desconocido: {format}",
    "mapping is not JSON": "mapping no es JSON",
    "mapping must be an object of field → column header": (
        "mapping debe ser un objeto de campo → encabezado de columna"
    ),
    "not an object of strings": "no es un objeto de textos",
    "unknown format {format}; use one of {formats}": "formato desconocido: {format}; use uno de: {formats}",
    "the CSV file is empty (no header row)": "el archivo CSV está vacío (no tiene fila de encabezados)",
    "not a readable XLSX workbook: {error}": "no es un libro XLSX legible: {error}",
    "the sheet {sheet} is empty (no header row)": "la hoja {sheet} está vacía (no tiene fila de encabezados)",
    "not JSON: {message}": "no es JSON: {message}",
    "not JSON: {error}": "no es JSON: {error}",
    "latitude and longitude are required": "la latitud y la longitud son obligatorias",
    "{value} is not a document type": "{value} no es un tipo de documento",
    "the columns could not be mapped; see the problems": (
        "no se pudieron asociar las columnas; vea los problemas"
    ),
    'expected a list of submissions (KoboToolbox\'s {{"results": [...]}} or ODK Central\'s {{"value": '
    "[...]}})": (
        'se esperaba una lista de envíos ({{"results": [...]}} de KoboToolbox o {{"value": [...]}} '
        "de ODK Central)"
    ),
}

#: Municipal layers and vulnerability weight sets (``domain/boundaries.py``, ``domain/weights.py``,
#: ``domain/vulnerability.py``, ``service_layer/places.py``, ``entrypoints/places_api.py``).
PLACES = {
    "unknown municipality {code}; the known ones nearest ({lat}, {lon}): {nearby}": (
        "municipio desconocido: {code}; los conocidos más cercanos a ({lat}, {lon}): {nearby}"
    ),
    "({lat}, {lon}) lies {metres} m outside {municipality} (more than the {tolerance} m allowed); "
    "{message_where}": (
        "({lat}, {lon}) queda a {metres} m de {municipality} (más de los {tolerance} m permitidos); "
        "{message_where}"
    ),
    "the boundary layer cannot be loaded": "no se puede cargar la capa de límites",
    "the boundary layer of {country} cannot be loaded: {count} faulty feature(s)": (
        "no se puede cargar la capa de límites de {country}: {count} elemento(s) con errores"
    ),
    "give 0 to {most} metres": "indique de 0 a {most} metros",
    "country {country} is not served by this registry": "este registro no atiende al país {country}",
    "expected a GeoJSON FeatureCollection": "se esperaba una FeatureCollection de GeoJSON",
    "{crs} is not WGS 84 longitude/latitude": "{crs} no es longitud/latitud WGS 84",
    "no municipality in the layer": "la capa no tiene ningún municipio",
    "{code} is not a municipality code of {country} such as {example}-01-0101": (
        "{code} no es un código de municipio de {country} como {example}-01-0101"
    ),
    "{code} has no name": "{code} no tiene nombre",
    "{code}: a {kind}, not an area": "{code}: un {kind}, no un área",
    "{code}: coordinates beyond WGS 84's range": "{code}: coordenadas fuera del rango de WGS 84",
    "{code}: not a geometry": "{code}: no es una geometría",
    "{code} comes twice": "{code} aparece dos veces",
    "loading {country}'s boundaries needs a jurisdiction over all of {whole}": (
        "cargar los límites de {country} requiere jurisdicción sobre todo {whole}"
    ),
    "not JSON": "no es JSON",
    "not an object": "no es un objeto",
    "a weight set is a JSON object": "un conjunto de pesos es un objeto JSON",
    "{message_weights} cannot be used": "no se pueden usar {message_weights}",
    "{message_weights} cannot be approved": "no se pueden aprobar {message_weights}",
    "give the set a version name of 1 to 32 characters": (
        "dé al conjunto un nombre de versión de 1 a 32 caracteres"
    ),
    "an admin code such as HN or HN-CR": "un código de área administrativa como HN o HN-CR",
    "{value} is not a date (YYYY-MM-DD)": "{value} no es una fecha (AAAA-MM-DD)",
    "an object giving each component's weight": "un objeto con el peso de cada componente",
    "not a component of the index": "no es un componente del índice",
    "{value} is not a non-negative number": "{value} no es un número no negativo",
    "at least one weight must be above 0": "al menos un peso debe ser mayor que 0",
    "name the country or admin area the weights are for (the default stays as shipped)": (
        "indique el país o el área administrativa de los pesos (los pesos generales no se cambian)"
    ),
    "give the day the weights take effect (YYYY-MM-DD)": (
        "indique el día en que los pesos entran en vigor (AAAA-MM-DD)"
    ),
    "weights take effect from a day after today ({today})": (
        "los pesos entran en vigor a partir de un día posterior a hoy ({today})"
    ),
    "{area} is outside your jurisdiction": "{area} está fuera de su jurisdicción",
    "a weight set named {version} exists; give the new one another version": (
        "ya existe un conjunto de pesos llamado {version}; dé al nuevo otra versión"
    ),
    "weight set {version} was already {status}": "el conjunto de pesos {version} ya se resolvió ({status})",
    "weight set {version} was proposed by you: another person must approve it": (
        "usted propuso el conjunto de pesos {version}: otra persona debe aprobarlo"
    ),
    "{date} is not after today: propose it again": "{date} no es posterior a hoy: propóngalo de nuevo",
    "no weight set {version} in your jurisdiction": (
        "no existe el conjunto de pesos {version} en su jurisdicción"
    ),
    "{date} has not come yet": "{date} todavía no llegó",
}

#: What an import's validation found in the file's cells and rows (``domain/imports/``,
#: ``service_layer/imports.py``), and a roster's rows (``service_layer/enrolments.py``): stored with
#: the import or the roster in English, shown in the reader's language.
REPORTS = {
    "{value} is not a date (use YYYY-MM-DD or DD/MM/YYYY)": (
        "{value} no es una fecha (use AAAA-MM-DD o DD/MM/AAAA)"
    ),
    "{value} is not a whole number": "{value} no es un número entero",
    "{value} is not yes/no (sí, no, 1, 0)": "{value} no es sí o no (sí, no, 1, 0)",
    "{value} is not a known {message_what}": "{value} no es un {message_what}",
    "could not convert string to float: {value}": "no se puede leer como número: {value}",
    "cannot convert float infinity to integer": "un número infinito no es un número entero",
    "cannot convert float NaN to integer": "NaN no es un número entero",
    "missing: every row needs its household reference": (
        "falta: cada fila necesita la referencia de su hogar"
    ),
    "household {ref} appeared earlier in the file; keep each household's rows together": (
        "el hogar {ref} apareció antes en el archivo; mantenga juntas las filas de cada hogar"
    ),
    "not a field Amparo imports": "no es un campo que Amparo importe",
    "the file has no column {header}": "el archivo no tiene la columna {header}",
    "required: map a column to it": "obligatorio: asígnele una columna",
    "stopped: {error}": "detenida: {error}",
    "validation was interrupted by a restart; upload the file again": (
        "la validación se interrumpió por un reinicio; suba el archivo de nuevo"
    ),
    "the commit was interrupted by a restart; commit again to finish it": (
        "la confirmación se interrumpió por un reinicio; confírmela de nuevo para terminarla"
    ),
    "no registered household has that reference or document": (
        "ningún hogar registrado tiene esa referencia o ese documento"
    ),
    "that document belongs to members of more than one household": (
        "ese documento pertenece a miembros de más de un hogar"
    ),
    "an earlier row already names this household": "una fila anterior ya nombra este hogar",
    "the household lies in {code}": "el hogar está en {code}",
}

#: Parts of the messages above, never whole ones: a list of problems, each field with its problem
#: (``weights.crowding missing``), the weight set a message is about, where a home lies, what a
#: cell should have held.
PARTS = {
    "{message_first}, {message_more}": "{message_first}, {message_more}",
    "{field} {message}": "{field} {message}",
    "weights for everywhere version {version}": "los pesos generales, versión {version}",
    "weights for {area} version {version}": "los pesos para {area}, versión {version}",
    "it lies in no municipality of the layer": "no está en ningún municipio de la capa",
    "it lies in {inside}": "está en {inside}",
    "sex (F/M, femenino/masculino)": "sexo conocido (F/M, femenino/masculino)",
    "relationship (jefe/a, esposo/a, hijo/a, …)": "parentesco conocido (jefe/a, esposo/a, hijo/a, …)",
    "payment channel (cuenta bancaria, billetera móvil, efectivo)": (
        "canal de pago conocido (cuenta bancaria, billetera móvil, efectivo)"
    ),
    "consent purpose (registro, transferencias, proteccion_civil, contacto)": (
        "propósito de consentimiento conocido (registro, transferencias, proteccion_civil, contacto)"
    ),
}

MESSAGES = {
    "the provider's webhook token is missing or wrong": (
        "falta el token del webhook del proveedor o no es el correcto"
    ),
    "results must be a list of objects": "results debe ser una lista de objetos",
    "household {household} was erased on request: its personal data is never recorded again (register "
    "the family anew, with its consent, if it asks)": (
        "los datos personales del hogar {household} se borraron a su pedido: nunca se vuelven a registrar "
        "(registre de nuevo a la familia, con su consentimiento, si lo pide)"
    ),
    "household {household} was erased already": "los datos del hogar {household} ya se borraron",
}

#: The registry's own messages.
REGISTRY = {
    **WITH_FIELDS,
    **HOUSEHOLDS,
    **REGISTRATION,
    **MASKED,
    **ASSESSMENTS,
    **ROSTERS,
    **FILES,
    **PLACES,
    **REPORTS,
    **MESSAGES,
}
#: What :func:`shared.web.build_app` is given: the registry's messages and every service's.
CATALOGUE = Catalogue(SHARED, REGISTRY, parts={**SHARED_PARTS, **PARTS})
