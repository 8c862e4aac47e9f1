"""Spanish for what every service says when it refuses a request: the kinds of error, HTTP's own
refusals, marshmallow's and webargs' messages about fields, bearer tokens and roles, and where
the audit log's chain breaks.

Why a catalogue of English templates, and not messages built from keys
----------------------------------------------------------------------
Each message is written once, in English, beside the rule that refuses (``f"age {age} is not
between 0 and {MAX_AGE}"``), where whoever changes the rule reads and changes it too; many people
change those files at the same time. Here each English template is written again with ``{name}``
where a value goes, beside its Spanish that names the same values::

    "age {age} is not between 0 and {most}": "la edad {age} no está entre 0 y {most}",

:class:`shared.languages.Catalogue` finds the template a message was written from and fills its
Spanish with the message's own values: ids, codes, numbers and field names reach the reader
unchanged, and the code that raises never learns that languages exist. Keys would have meant
rewriting every refusal of every module as a call with arguments, each one a merge conflict, and a
message would no longer read as a sentence where it is raised. What templates cost: a message
whose English changes loses its Spanish until the catalogue follows. The tests catch that
(``tests/unit/test_messages_es.py`` renders every message template found in the source and every
marshmallow message and requires Spanish for each; ``tests/integration/test_refusals_in_spanish.py``
drives refusals through the API and requires no English to be left).

Values stay as they were sent or stored: codes such as ``female`` or ``sheet_metal`` are the API's
words, not English, and a field is always named by its JSON pointer.

Each service adds its own messages (``services/<service>/entrypoints/messages_es.py``) to these
and hands the whole catalogue to :func:`shared.web.build_app`.
"""

from __future__ import annotations

from shared.languages import Catalogue

#: The kinds of error (:mod:`shared.errors`) and the HTTP statuses Werkzeug names.
TITLES = {
    "Internal error": "Error interno",
    "Invalid input": "Datos no válidos",
    "Not found": "No encontrado",
    "Conflict": "Conflicto",
    "Not authenticated": "No autenticado",
    "Forbidden": "Prohibido",
    "Service unavailable": "Servicio no disponible",
    "Precondition failed": "Falló la condición previa",
    "Precondition required": "Se requiere una condición previa",
    "Bad Request": "Solicitud incorrecta",
    "Unauthorized": "No autorizado",
    "Not Found": "No encontrado",
    "Method Not Allowed": "Método no permitido",
    "Not Acceptable": "No aceptable",
    "Request Timeout": "Tiempo de espera agotado",
    "Gone": "Ya no disponible",
    "Length Required": "Se requiere la longitud",
    "Precondition Failed": "Falló la condición previa",
    "Request Entity Too Large": "Solicitud demasiado grande",
    "Request URI Too Long": "URI demasiado larga",
    "Unsupported Media Type": "Tipo de contenido no admitido",
    "Requested Range Not Satisfiable": "Rango solicitado no satisfacible",
    "Expectation Failed": "Falló la expectativa",
    "I'm a teapot": "Soy una tetera",
    "Misdirected Request": "Solicitud mal dirigida",
    "Unprocessable Entity": "Entidad no procesable",
    "Locked": "Bloqueado",
    "Failed Dependency": "Falló una dependencia",
    "Precondition Required": "Se requiere una condición previa",
    "Too Many Requests": "Demasiadas solicitudes",
    "Request Header Fields Too Large": "Campos de encabezado demasiado grandes",
    "Unavailable For Legal Reasons": "No disponible por razones legales",
    "Internal Server Error": "Error interno del servidor",
    "Not Implemented": "No implementado",
    "Bad Gateway": "Puerta de enlace incorrecta",
    "Service Unavailable": "Servicio no disponible",
    "Gateway Timeout": "Tiempo de espera agotado en la puerta de enlace",
    "HTTP Version Not Supported": "Versión de HTTP no admitida",
}

#: Werkzeug's description of each HTTP refusal, shown when nothing more precise is known.
HTTP_DESCRIPTIONS = {
    "The browser (or proxy) sent a request that this server could not understand.": (
        "El navegador (o un proxy) envió una solicitud que este servidor no puede entender."
    ),
    "The server could not verify that you are authorized to access the URL requested. You either "
    "supplied the wrong credentials (e.g. a bad password), or your browser doesn't understand how to "
    "supply the credentials required.": (
        "El servidor no pudo verificar que usted esté autorizado a acceder a la URL solicitada: las "
        "credenciales son incorrectas o el navegador no sabe cómo enviarlas."
    ),
    "You don't have the permission to access the requested resource. It is either read-protected or "
    "not readable by the server.": (
        "No tiene permiso para acceder al recurso solicitado: está protegido o el servidor no puede leerlo."
    ),
    "The requested URL was not found on the server. If you entered the URL manually please check your "
    "spelling and try again.": (
        "La URL solicitada no existe en el servidor. Si la escribió a mano, revísela e inténtelo de nuevo."
    ),
    "The method is not allowed for the requested URL.": "El método no está permitido para la URL solicitada.",
    "The resource identified by the request is only capable of generating response entities which have "
    "content characteristics not acceptable according to the accept headers sent in the request.": (
        "El recurso solicitado solo puede responder en formatos que los encabezados Accept de la "
        "solicitud no aceptan."
    ),
    "The server closed the network connection because the browser didn't finish the request within the "
    "specified time.": (
        "El servidor cerró la conexión porque el navegador no terminó la solicitud a tiempo."
    ),
    "A conflict happened while processing the request. The resource might have been modified while the "
    "request was being processed.": (
        "Hubo un conflicto al procesar la solicitud: el recurso pudo cambiar mientras se procesaba."
    ),
    "The requested URL is no longer available on this server and there is no forwarding address. If you "
    "followed a link from a foreign page, please contact the author of this page.": (
        "La URL solicitada ya no está disponible en este servidor y no hay dirección nueva."
    ),
    "A request with this method requires a valid <code>Content-Length</code> header.": (
        "Una solicitud con este método requiere un encabezado Content-Length válido."
    ),
    "The precondition on the request for the URL failed positive evaluation.": (
        "La condición previa de la solicitud no se cumplió."
    ),
    "The data value transmitted exceeds the capacity limit.": (
        "Los datos enviados superan el límite de tamaño."
    ),
    "The length of the requested URL exceeds the capacity limit for this server. The request cannot be "
    "processed.": "La URL solicitada es más larga de lo que este servidor acepta; no se puede procesar.",
    "The server does not support the media type transmitted in the request.": (
        "El servidor no admite el tipo de contenido enviado en la solicitud."
    ),
    "The server cannot provide the requested range.": "El servidor no puede entregar el rango solicitado.",
    "The server could not meet the requirements of the Expect header": (
        "El servidor no puede cumplir lo que pide el encabezado Expect"
    ),
    "This server is a teapot, not a coffee machine": "Este servidor es una tetera, no una cafetera",
    "The server is not able to produce a response.": "El servidor no puede producir una respuesta.",
    "The request was well-formed but was unable to be followed due to semantic errors.": (
        "La solicitud está bien formada pero no se puede atender porque su contenido tiene errores."
    ),
    "The resource that is being accessed is locked.": "El recurso al que se accede está bloqueado.",
    "The method could not be performed on the resource because the requested action depended on another "
    "action and that action failed.": (
        "No se pudo aplicar el método porque dependía de otra acción que falló."
    ),
    'This request is required to be conditional; try using "If-Match" or "If-Unmodified-Since".': (
        'Esta solicitud debe ser condicional; use "If-Match" o "If-Unmodified-Since".'
    ),
    "This user has exceeded an allotted request count. Try again later.": (
        "Este usuario superó la cantidad de solicitudes permitida. Inténtelo más tarde."
    ),
    "One or more header fields exceeds the maximum size.": (
        "Uno o más encabezados superan el tamaño máximo."
    ),
    "Unavailable for legal reasons.": "No disponible por razones legales.",
    "The server encountered an internal error and was unable to complete your request. Either the "
    "server is overloaded or there is an error in the application.": (
        "El servidor tuvo un error interno y no pudo completar la solicitud: está sobrecargado o hay un "
        "error en la aplicación."
    ),
    "The server does not support the action requested by the browser.": (
        "El servidor no admite la acción que pidió el navegador."
    ),
    "The proxy server received an invalid response from an upstream server.": (
        "El servidor proxy recibió una respuesta no válida de otro servidor."
    ),
    "The server is temporarily unable to service your request due to maintenance downtime or capacity "
    "problems. Please try again later.": (
        "El servidor no puede atender la solicitud por mantenimiento o falta de capacidad. "
        "Inténtelo más tarde."
    ),
    "The connection to an upstream server timed out.": "Se agotó el tiempo de espera de otro servidor.",
    "The server does not support the HTTP protocol version used in the request.": (
        "El servidor no admite la versión de HTTP de la solicitud."
    ),
}

#: marshmallow's messages about a field (its fields, its validators, its schemas) and webargs'.
FIELDS = {
    "Missing data for required field.": "Falta este dato obligatorio.",
    "Field may not be null.": "Este campo no puede ser nulo.",
    "Invalid value.": "Valor no válido.",
    "Invalid type.": "Tipo no válido.",
    "Invalid input type.": "Tipo de entrada no válido.",
    "Invalid input.": "Entrada no válida.",
    "Unknown field.": "Campo desconocido.",
    "Invalid JSON body.": "El cuerpo JSON no es válido.",
    "Not a valid list.": "No es una lista válida.",
    "Not a valid tuple.": "No es una tupla válida.",
    "Not a valid string.": "No es un texto válido.",
    "Not a valid utf-8 string.": "No es un texto UTF-8 válido.",
    "Not a valid UUID.": "No es un UUID válido.",
    "Not a valid number.": "No es un número válido.",
    "Number too large.": "El número es demasiado grande.",
    "Not a valid integer.": "No es un número entero válido.",
    "Special numeric values (nan or infinity) are not permitted.": (
        "No se permiten valores numéricos especiales (nan o infinito)."
    ),
    "Not a valid boolean.": "No es un valor booleano válido (true o false).",
    "Not a valid datetime.": "No es una fecha y hora válida.",
    "Not a valid aware datetime.": "No es una fecha y hora válida con zona horaria.",
    "Not a valid naive datetime.": "No es una fecha y hora válida sin zona horaria.",
    "Not a valid date.": "No es una fecha válida.",
    "Not a valid time.": "No es una hora válida.",
    "Not a valid aware time.": "No es una hora válida con zona horaria.",
    "Not a valid naive time.": "No es una hora válida sin zona horaria.",
    '"{value}" cannot be formatted as a datetime.': '"{value}" no se puede escribir como fecha y hora.',
    '"{value}" cannot be formatted as a date.': '"{value}" no se puede escribir como fecha.',
    '"{value}" cannot be formatted as a time.': '"{value}" no se puede escribir como hora.',
    "Not a valid period of time.": "No es un período de tiempo válido.",
    "{value} cannot be formatted as a timedelta.": "{value} no se puede escribir como período de tiempo.",
    "Not a valid mapping type.": "No es un objeto válido (de claves y valores).",
    "Not a valid URL.": "No es una URL válida.",
    "Not a valid email address.": "No es una dirección de correo electrónico válida.",
    "Not a valid IP address.": "No es una dirección IP válida.",
    "Not a valid IPv4 address.": "No es una dirección IPv4 válida.",
    "Not a valid IPv6 address.": "No es una dirección IPv6 válida.",
    "Not a valid IP interface.": "No es una interfaz IP válida.",
    "Not a valid IPv4 interface.": "No es una interfaz IPv4 válida.",
    "Not a valid IPv6 interface.": "No es una interfaz IPv6 válida.",
    "Must be one of: {choices}.": "Debe ser uno de: {choices}.",
    "Must be greater than or equal to {min}.": "Debe ser mayor o igual que {min}.",
    "Must be greater than {min}.": "Debe ser mayor que {min}.",
    "Must be less than or equal to {max}.": "Debe ser menor o igual que {max}.",
    "Must be less than {max}.": "Debe ser menor que {max}.",
    "Must be greater than or equal to {min} and less than or equal to {max}.": (
        "Debe ser mayor o igual que {min} y menor o igual que {max}."
    ),
    "Must be greater than or equal to {min} and less than {max}.": (
        "Debe ser mayor o igual que {min} y menor que {max}."
    ),
    "Must be greater than {min} and less than or equal to {max}.": (
        "Debe ser mayor que {min} y menor o igual que {max}."
    ),
    "Must be greater than {min} and less than {max}.": "Debe ser mayor que {min} y menor que {max}.",
    "Shorter than minimum length {min}.": "Es más corto que la longitud mínima, {min}.",
    "Longer than maximum length {max}.": "Es más largo que la longitud máxima, {max}.",
    "Length must be between {min} and {max}.": "La longitud debe estar entre {min} y {max}.",
    "Length must be {equal}.": "La longitud debe ser {equal}.",
    "Must be equal to {other}.": "Debe ser igual a {other}.",
    "String does not match expected pattern.": "El texto no tiene la forma esperada.",
    "One or more of the choices you made was not in: {choices}.": (
        "Una o más de las opciones elegidas no está entre: {choices}."
    ),
    "One or more of the choices you made was in: {values}.": (
        "Una o más de las opciones elegidas está entre: {values}."
    ),
}

#: Python's messages about a text that is not JSON (``Expecting value: line 1 column 1 (char 0)``).
JSON = {
    "{message}: line {line} column {column} (char {char})": (
        "{message}: línea {line}, columna {column} (carácter {char})"
    ),
}

#: What a message holds, never a whole one: what the JSON decoder found wrong.
PARTS = {
    "Expecting value": "Se esperaba un valor",
    "Expecting property name enclosed in double quotes": (
        "Se esperaba un nombre de propiedad entre comillas dobles"
    ),
    "Expecting ',' delimiter": "Se esperaba el separador ','",
    "Expecting ':' delimiter": "Se esperaba el separador ':'",
    "Extra data": "Hay datos de más",
    "Unterminated string starting at": "Texto sin cerrar que empieza en",
    "Invalid control character at": "Carácter de control no válido en",
    "Invalid \\escape": "Secuencia de escape no válida",
    "Invalid \\uXXXX escape": "Secuencia \\uXXXX no válida",
}

#: What :mod:`shared.web` and :mod:`shared.auth` say to any service's caller.
REQUESTS = {
    "invalid fields: {pointers}": "campos no válidos: {pointers}",
    "the request body is over the {limit} bytes {path} accepts": (
        "el cuerpo de la solicitud supera los {limit} bytes que acepta {path}"
    ),
    "the database is busy or cannot be reached; retry shortly": (
        "la base de datos está ocupada o no se puede alcanzar; vuelva a intentarlo en unos momentos"
    ),
    "an unexpected error occurred; it was logged": "ocurrió un error inesperado; quedó registrado",
    "text may not contain the NUL character (U+0000)": "el texto no puede contener el carácter NUL (U+0000)",
    "contains the NUL character (U+0000)": "contiene el carácter NUL (U+0000)",
    "a bearer token is required (Authorization: Bearer …)": (
        "se requiere un token de portador (Authorization: Bearer …)"
    ),
    "the token signing keys cannot be read right now": (
        "ahora no se pueden leer las claves que firman los tokens"
    ),
    "token signed with unknown key id {kid}": (
        "token firmado con un identificador de clave desconocido, {kid}"
    ),
    "malformed token: {error}": "token mal formado: {error}",
    "malformed token: Not enough segments": "token mal formado: no tiene las partes de un JWT",
    "malformed token: Invalid header padding": "token mal formado: el encabezado no está en base64",
    "malformed token: Invalid header string: must be a json object": (
        "token mal formado: el encabezado no es un objeto JSON"
    ),
    "token algorithm {algorithm} is not accepted": "no se acepta el algoritmo de token {algorithm}",
    "token header has no key id (kid)": "el encabezado del token no tiene identificador de clave (kid)",
    "key {kid} signs with {algorithm}, not {claimed}": (
        "la clave {kid} firma con {algorithm}, no con {claimed}"
    ),
    "token has expired": "el token venció",
    "token is not valid yet": "el token todavía no es válido",
    "token is not for audience {audience}": "el token no es para la audiencia {audience}",
    "token is not from issuer {issuer}": "el token no es del emisor {issuer}",
    "token signature does not verify": "la firma del token no se puede verificar",
    "token refused: {error}": "token rechazado: {error}",
    "token claim 'roles' must be a list of strings": "el dato 'roles' del token debe ser una lista de textos",
    "token claim 'jurisdiction' must be a list of admin codes": (
        "el dato 'jurisdiction' del token debe ser una lista de códigos de áreas administrativas"
    ),
    "this needs one of the roles {roles}": "esto requiere uno de los roles {roles}",
}

#: Where the audit log's chain breaks, as its verification tells an auditor (:mod:`shared.audit`).
AUDIT = {
    "an entry stands before the chain's start": "hay una entrada antes del inicio de la cadena",
    "entry {position} missing": "falta la entrada {position}",
    "entries {first}–{last} missing": "faltan las entradas {first}–{last}",
    "does not start from the chain's origin": "no parte del origen de la cadena",
    "does not follow entry {position} (an entry before it was changed or replaced)": (
        "no sigue a la entrada {position} (una entrada anterior fue cambiada o reemplazada)"
    ),
    "content changed (its hash does not match)": "su contenido cambió (su hash no coincide)",
    "the chain head is missing": "falta la cabecera de la cadena",
    "entries after the head (the head ends at {position})": (
        "hay entradas después de la cabecera (la cabecera termina en {position})"
    ),
    "entry missing: the head ends at {head}, the entries at {last}": (
        "falta una entrada: la cabecera termina en {head} y las entradas en {last}"
    ),
    "the chain head's hash differs from the last entry's": (
        "el hash de la cabecera de la cadena difiere del de la última entrada"
    ),
}

#: Everything above: what any service's catalogue starts from.
SHARED = {**TITLES, **HTTP_DESCRIPTIONS, **FIELDS, **JSON, **REQUESTS, **AUDIT}
#: The catalogue of a service that has no messages of its own.
SHARED_CATALOGUE = Catalogue(SHARED, parts=PARTS)
