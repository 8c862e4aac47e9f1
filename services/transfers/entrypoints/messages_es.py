"""Spanish for every message the transfers service refuses with, by the English template it is
written from.

The messages are written in English where each rule lives (the domain, the handlers, the views);
here each is written again with ``{name}`` where a value goes, beside its Spanish that keeps the
same values. :mod:`shared.messages_es` says why a catalogue of templates and not keys, and holds
what every service says (marshmallow's messages, tokens, roles, HTTP, the audit log). A message
changed in the source without its template here stays English: ``tests/unit/test_messages_es.py``
finds it.

Codes stay codes (``approved``, ``bank_account``, ``end_to_end_id``, ``TxSts``, ``pain.002``): they
are the API's words, or a payment standard's, which the console shows in its own language.
"""

from __future__ import annotations

from services.transfers.entrypoints.messages_es_grievances import GRIEVANCES
from shared.languages import Catalogue
from shared.messages_es import PARTS as SHARED_PARTS
from shared.messages_es import SHARED

#: The kinds of error of the transfers service (``domain/``, ``entrypoints/idempotency.py``).
TITLES = {
    "Invalid programme": "Programa no válido",
    "Not possible in the programme version's state": "No es posible en el estado de la versión del programa",
    "Not possible in the batch's state": "No es posible en el estado del lote",
    "Four eyes: approval needs a second person": "Cuatro ojos: la aprobación requiere una segunda persona",
    "Not possible in the payment's state": "No es posible en el estado del pago",
    "The incidents cannot be linked that way": "Los incidentes no se pueden vincular de esa forma",
    "The payment file cannot be written": "No se puede escribir el archivo de pago",
    "The result file is refused": "Se rechaza el archivo de resultados",
    "A request with this Idempotency-Key is still running": (
        "Una solicitud con esta Idempotency-Key todavía está en curso"
    ),
    "This Idempotency-Key was used for another request": "Esta Idempotency-Key se usó para otra solicitud",
}

#: A programme's mistake, told with its path (``/benefit/cap: the cap 5 is below …``).
WITH_PATHS = {
    "{pointer}: {message}": "{pointer}: {message}",
}

#: Programmes: their benefit, eligibility, trigger rules, budget and approval (``domain/benefits.py``,
#: ``eligibility.py``, ``triggers.py``, ``programmes.py``, ``programme_versions.py``, ``deciding.py``,
#: ``service_layer/programmes.py``, ``entrypoints/programmes_api.py``).
PROGRAMMES = {
    "not a programme code (2 to 32 letters, digits, _ or -)": (
        "no es un código de programa (de 2 a 32 letras, dígitos, _ o -)"
    ),
    "must lie between 0 and {most}": "debe estar entre 0 y {most}",
    "cannot be negative": "no puede ser negativo",
    "the benefit would always be zero": "el beneficio sería siempre cero",
    "the cap {cap} is below the base amount {base}": "el tope {cap} es menor que el monto base {base}",
    "a whole number of cents, from 0.01 to {most}": "un número entero de centavos, de 0.01 a {most}",
    "one household could receive {amount}; set a cap (a single emergency payment above {most} is "
    "refused as absurd)": (
        "un hogar podría recibir {amount}; fije un tope (un pago de emergencia único de más de {most} "
        "se rechaza por absurdo)"
    ),
    "programme {name} computed an amount that is negative or not a number": (
        "el programa {name} calculó un monto negativo o que no es un número"
    ),
    "expected {{all: [...]}}, {{any: [...]}} or {{field, op, value}}": (
        "se esperaba {{all: [...]}}, {{any: [...]}} o {{field, op, value}}"
    ),
    "a non-empty list of conditions": "una lista de condiciones que no esté vacía",
    "unexpected keys {keys}": "claves inesperadas: {keys}",
    "unknown field {field}; one of {fields}": "campo desconocido: {field}; use uno de: {fields}",
    "{op} does not apply to {message_kind} field {field}; use {ops}": (
        "{op} no se aplica al campo {field}, cuyo valor es {message_kind}; use {ops}"
    ),
    "{op} needs a non-empty list": "{op} requiere una lista que no esté vacía",
    "{value} is not a {message_kind}": "{value} no es {message_kind}",
    "{value} is not one of {allowed}": "{value} no es uno de: {allowed}",
    'one of {{"all": [...]}} or {{"any": [...]}}': 'uno de {{"all": [...]}} o {{"any": [...]}}',
    "a condition needs field, op and value": "una condición necesita 'field', 'op' y 'value'",
    "a field name": "un nombre de campo",
    "{field} takes in or not in with a list of words": (
        "{field} admite solo 'in' o 'not in' con una lista de palabras"
    ),
    "one of category, event, response_type, urgency, severity, certainty, lead_time_hours, "
    "parameter:<name>": (
        "uno de: category, event, response_type, urgency, severity, certainty, lead_time_hours, "
        "parameter:<nombre>"
    ),
    "one of {values}": "uno de: {values}",
    "a number": "un número",
    "a budget must be positive": "un presupuesto debe ser positivo",
    "cannot exceed the overall budget": "no puede superar el presupuesto total",
    "one household could receive {amount}, more than the whole {message_budget} budget": (
        "un hogar podría recibir {amount}, más que todo el presupuesto {message_budget}"
    ),
    "a whole number of days from 1 to 3660": "un número entero de días, de 1 a 3660",
    "a positive amount": "un monto positivo",
    "payments always need a second person's approval": (
        "los pagos siempre necesitan la aprobación de una segunda persona"
    ),
    "only anticipatory programmes may pre-approve": (
        "solo los programas anticipatorios pueden aprobar de antemano"
    ),
    "a pre-approved ceiling needs a budget to be a share of": (
        "un tope aprobado de antemano necesita un presupuesto del cual sea una parte"
    ),
    "at most {share} of the budget per incident ({limit}); the rest always needs a second person": (
        "como máximo el {share} del presupuesto por incidente ({limit}); el resto siempre necesita una "
        "segunda persona"
    ),
    "an ISO 4217 code": "un código ISO 4217",
    "give either an area or an incident_id": "indique un área o un incident_id (solo uno de los dos)",
    "{name} version {version} is {state}; only a draft is approved or rejected": (
        "la versión {version} de {name} tiene el estado {state}; solo se aprueba o rechaza un borrador"
    ),
    "{by} defined {name} version {version} and cannot also {message_action} it": (
        "{by} definió la versión {version} de {name} y no puede también {message_action}la"
    ),
    "no programme {programme}": "no existe el programa {programme}",
    "no programme {programme} at version {version}": (
        "no existe la versión {version} del programa {programme}"
    ),
    "transfers holds no current exposure of alert {incident}": (
        "transferencias no tiene ninguna exposición vigente de la alerta {incident}"
    ),
}

#: Batches and their payments (``domain/batches.py``, ``domain/payments.py``,
#: ``service_layer/batches.py``, ``reissuing.py``, ``instructing.py``, ``results.py``).
BATCHES = {
    "the batch is {state}; only a proposed batch can be approved or rejected": (
        "el lote tiene el estado {state}; solo se puede aprobar o rechazar un lote propuesto"
    ),
    "{reviewer} proposed this batch and cannot also {message_action} it": (
        "{reviewer} propuso este lote y no puede también {message_action}lo"
    ),
    "{reviewer} gave this batch its first approval; a second approver must decide": (
        "{reviewer} ya dio la primera aprobación de este lote; debe decidir una segunda persona"
    ),
    "batch {batch} is flagged for review: {message_reason}": (
        "el lote {batch} está marcado para revisión: {message_reason}"
    ),
    "batch {batch} is flagged for review: {reason}": "el lote {batch} está marcado para revisión: {reason}",
    "batch {batch} is {state}; only an approved batch is sent for payment": (
        "el lote {batch} tiene el estado {state}; solo se envía a pago un lote aprobado"
    ),
    "the alert of batch {batch} was cancelled: its failed payments are not paid again": (
        "la alerta del lote {batch} fue cancelada: sus pagos fallidos no se vuelven a pagar"
    ),
    "batch {batch} is not flagged for review": "el lote {batch} no está marcado para revisión",
    "no batch {batch} in your jurisdiction": "no existe el lote {batch} en su jurisdicción",
    "batch {batch} has no failed payments to re-issue": (
        "el lote {batch} no tiene pagos fallidos que volver a emitir"
    ),
    "payments not in batch {batch}: {payments}": "pagos que no están en el lote {batch}: {payments}",
    "no payment {payment}": "no existe el pago {payment}",
    "payment {payment} is {state}; a result of {result} cannot apply to it": (
        "el pago {payment} tiene el estado {state}; no se le puede aplicar un resultado {result}"
    ),
    "payment {payment} is {state}; only a failed payment is re-issued": (
        "el pago {payment} tiene el estado {state}; solo se vuelve a emitir un pago fallido"
    ),
    "payment {payment} has an unknown outcome: import the provider's status for it before paying again": (
        "el pago {payment} tiene un resultado desconocido: importe el estado que informó el proveedor "
        "antes de volver a pagarlo"
    ),
    "payment {payment} is {state}; only an approved payment changes channel": (
        "el pago {payment} tiene el estado {state}; solo un pago aprobado puede cambiar de canal"
    ),
    "unknown channel {channel}": "canal desconocido: {channel}",
    "bank_account payments are written as pain.001 or csv": (
        "los pagos bank_account se escriben como pain.001 o csv"
    ),
    "{channel} payments are written as {formats}": "los pagos {channel} se escriben como {formats}",
}

#: Payment files and providers' result files (``domain/instructions.py``,
#: ``service_layer/instructing.py``, ``service_layer/results.py``).
FILES = {
    "the programme names no payer account for bank transfers": (
        "el programa no indica ninguna cuenta pagadora para las transferencias bancarias"
    ),
    "the programme names no payer account for bank transfers; define a new version with one": (
        "el programa no indica ninguna cuenta pagadora para las transferencias bancarias; defina una "
        "nueva versión que la indique"
    ),
    "set the payer's IBAN or account number in the programme": (
        "indique en el programa el IBAN o el número de cuenta del pagador"
    ),
    "the IBAN or account number debited by the transfers": (
        "el IBAN o el número de cuenta al que se debitan las transferencias"
    ),
    "batch {batch} has no approved {channel} payments ready for a file": (
        "el lote {batch} no tiene pagos aprobados en el canal {channel} listos para un archivo"
    ),
    "no payment file {file}": "no existe el archivo de pago {file}",
    "the file cannot be written: {count} payment(s) have no usable account details now": (
        "no se puede escribir el archivo: {count} pago(s) no tienen ahora datos de cuenta utilizables"
    ),
    "not found in the registry (or outside your jurisdiction)": (
        "no se encontró en el registro (o está fuera de su jurisdicción)"
    ),
    "no IBAN or account number registered": "no tiene IBAN ni número de cuenta registrados",
    "the registered IBAN is not well formed": "el IBAN registrado no está bien formado",
    "the registered account number is longer than 34 characters": (
        "el número de cuenta registrado tiene más de 34 caracteres"
    ),
    "no wallet number registered": "no tiene número de billetera registrado",
    "the result file names a payment twice": "el archivo de resultados nombra dos veces un mismo pago",
    "payment {payment} already on line {line}": "el pago {payment} ya está en la línea {line}",
    "the result file holds no results": "el archivo de resultados no contiene ningún resultado",
    "the result file is not UTF-8 (byte {byte})": "el archivo de resultados no está en UTF-8 (byte {byte})",
    "a result CSV needs the columns end_to_end_id and status (and optionally reason)": (
        "un CSV de resultados necesita las columnas end_to_end_id y status (y, si se quiere, reason)"
    ),
    "found columns {columns}": "columnas encontradas: {columns}",
    "no end_to_end_id": "falta end_to_end_id",
    "status {status} is not one of {allowed}": "el estado {status} no es uno de: {allowed}",
    "the result file has lines that cannot be read": (
        "el archivo de resultados tiene líneas que no se pueden leer"
    ),
    "refused: the status report declares a DTD or entities ({kind}); pain.002 needs neither": (
        "rechazado: el informe de estado declara una DTD o entidades ({kind}); pain.002 no necesita "
        "ninguna de las dos"
    ),
    "DTD or entity declaration": "declaración de DTD o de entidades",
    "the status report is not well-formed XML: {error}": (
        "el informe de estado no es XML bien formado: {error}"
    ),
    "expected an ISO 20022 pain.002 status report, found {tag}": (
        "se esperaba un informe de estado ISO 20022 pain.002; se encontró {tag}"
    ),
    "no OrgnlEndToEndId": "falta OrgnlEndToEndId",
    "TxSts {status} is not a known status": "TxSts {status} no es un estado conocido",
    "the status report has transactions that cannot be read": (
        "el informe de estado tiene transacciones que no se pueden leer"
    ),
    "the result file was not applied: {count} line(s) refused": (
        "no se aplicó el archivo de resultados: {count} línea(s) rechazada(s)"
    ),
}

#: Alerts, exposures and hazard events as transfers heard them (``domain/exposures.py``,
#: ``exposure_parts.py``, ``hazard_events.py``, ``service_layer/collecting.py``, ``explaining.py``,
#: ``handlers.py``, ``hazard_events.py``).
ALERTS = {
    "alert event {event} has no incident_id and integer version": (
        "el evento de alerta {event} no tiene incident_id ni una version entera"
    ),
    "an exposure event names neither a footprint nor an incident and version": (
        "un evento de exposición no nombra ni una huella ni un incidente con su versión"
    ),
    "an exposure event's supplement must be a name of at most 16 characters": (
        "el suplemento de un evento de exposición debe ser un nombre de 16 caracteres como máximo"
    ),
    "exposure chunk {event}: /households/{n} needs household_id and band": (
        "fragmento de exposición {event}: /households/{n} necesita household_id y band"
    ),
    "exposure chunk {event} has no chunk number or household list": (
        "el fragmento de exposición {event} no tiene número de fragmento ni lista de hogares"
    ),
    "exposure completion {event} has no chunk count": (
        "el cierre de exposición {event} no indica cuántos fragmentos tiene"
    ),
    "exposure event {event} names its part wrongly": "el evento de exposición {event} nombra mal su parte",
    "is {count}, but exposure {exposure} came in parts of {expected}": (
        "es {count}, pero las partes de la exposición {exposure} cuentan {expected} particiones"
    ),
    "the two alerts are already one hazard event": "las dos alertas ya son un mismo evento de amenaza",
    "transfers has heard nothing of alert {incident}": (
        "transferencias no ha recibido nada de la alerta {incident}"
    ),
    "alert {incident} is {state}; only an active alert is decided": (
        "la alerta {incident} tiene el estado {state}; solo se decide sobre una alerta activa"
    ),
    "no exposure of alert {incident} is ready to decide": (
        "ninguna exposición de la alerta {incident} está lista para decidir"
    ),
    "household {household} is not known to transfers (in your jurisdiction)": (
        "transferencias no conoce el hogar {household} (en su jurisdicción)"
    ),
    "review event {event} names no household_id": "el evento de revisión {event} no indica household_id",
    "alert {incident} is not known to transfers, or reaches beyond your jurisdiction": (
        "transferencias no conoce la alerta {incident}, o esta va más allá de su jurisdicción"
    ),
    "alert {incident} is alone in its hazard event already": (
        "la alerta {incident} ya está sola en su evento de amenaza"
    ),
    "no hazard event {event}": "no existe el evento de amenaza {event}",
}

#: Requests that move money, each with its Idempotency-Key (``entrypoints/idempotency.py``).
IDEMPOTENCY = {
    "money-moving requests need an {header} header (8 to 255 characters)": (
        "las solicitudes que mueven dinero requieren el encabezado {header} (de 8 a 255 caracteres)"
    ),
    "missing or not 8–255 characters": "falta o no tiene de 8 a 255 caracteres",
    "the request with {header} {key} is still running; retry later": (
        "la solicitud con {header} {key} todavía está en curso; vuelva a intentarlo más tarde"
    ),
    "{header} {key} was first used for another request; use a new key for a new request": (
        "{header} {key} ya se usó para otra solicitud; use una clave nueva para cada solicitud nueva"
    ),
    "reused with a different method, path or body": "reutilizada con otro método, otra ruta u otro cuerpo",
}

MONITORING = {
    "scope must be one of {scopes}": "el ámbito debe ser uno de {scopes}",
    "level must be one of {levels}": "el nivel debe ser uno de {levels}",
    "transfers has no exposure or decision under {scope} {scope_id}": (
        "transferencias no tiene exposición ni decisión en {scope} {scope_id}"
    ),
}

#: Parts of the messages above, never whole ones: what a person cannot also do, which budget, the
#: kind of value a field holds, why a batch is flagged for review.
PARTS = {
    "approve": "aprobar",
    "reject": "rechazar",
    "per incident": "por incidente",
    "overall": "total",
    "number": "un número",
    "text": "un texto",
    "bool": "un valor booleano (true o false)",
    "set": "un conjunto de códigos de programa",
    "programme code": "un código de programa",
    "the alert was cancelled (version {version}): review before any further payment": (
        "la alerta fue cancelada (versión {version}): revise el lote antes de cualquier otro pago"
    ),
    "{count} households of this batch already hold a payment of this programme for the same hazard "
    "event: review before any payment; e.g. household {household} holds payment {payment} (batch "
    "{batch})": (
        "{count} hogares de este lote ya tienen un pago de este programa por el mismo evento de "
        "amenaza: revise el lote antes de cualquier pago; p. ej., el hogar {household} tiene el pago "
        "{payment} (lote {batch})"
    ),
    "payment {payment} was settled after being re-issued as {successor}, which was already sent: the "
    "household may have been paid twice; recover the duplicate": (
        "el pago {payment} se liquidó después de volver a emitirse como {successor}, que ya se había "
        "enviado: el hogar pudo cobrar dos veces; recupere el duplicado"
    ),
}

#: The transfers service's own messages.

TRANSFERS = {
    **TITLES,
    **WITH_PATHS,
    **PROGRAMMES,
    **BATCHES,
    **FILES,
    **ALERTS,
    **IDEMPOTENCY,
    **MONITORING,
    **GRIEVANCES,
}
#: What :func:`shared.web.build_app` is given: the transfers service's messages and every service's.
CATALOGUE = Catalogue(SHARED, TRANSFERS, parts={**SHARED_PARTS, **PARTS})
