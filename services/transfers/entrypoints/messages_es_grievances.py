"""Spanish for what the transfers service refuses grievances with (see :mod:`.messages_es`)."""

from __future__ import annotations

#: Grievances (``domain/grievances.py``, ``service_layer/grievances.py``, ``grievance_outcomes.py``).
GRIEVANCES = {
    "grievance {case} is already resolved ({outcome})": "el reclamo {case} ya está resuelto ({outcome})",
    "the outcome {outcome} does not answer a grievance of kind {kind}; it answers {kinds}": (
        "el resultado {outcome} no responde a un reclamo de tipo {kind}; responde a {kinds}"
    ),
    "grievance {case} was filed by you; another person resolves it": (
        "usted presentó el reclamo {case}; lo resuelve otra persona"
    ),
    "the outcome {outcome} needs the role {role}": "el resultado {outcome} requiere el rol {role}",
    "grievance {case} is assigned to {role}; only they reassign it": (
        "el reclamo {case} está asignado a {role}; solo ese rol lo reasigna"
    ),
    "alert {incident} is {state}; only an active alert is decided again": (
        "la alerta {incident} está en estado {state}; solo se decide de nuevo una alerta activa"
    ),
    "household {household} has no failed payment under alert {incident} to re-issue": (
        "el hogar {household} no tiene ningún pago fallido bajo la alerta {incident} para reemitir"
    ),
    "no correction of household {household} has reached transfers since the case was filed (version "
    "{version}); correct it in the registry first": (
        "ninguna corrección del hogar {household} llegó a transferencias desde que se presentó el reclamo "
        "(versión {version}); corríjalo primero en el registro"
    ),
    "the registry still holds household {household} as a probable duplicate ({reason}); decide the "
    "duplicate review in the registry first": (
        "el registro aún retiene el hogar {household} como probable duplicado ({reason}); decida primero "
        "la revisión de duplicados en el registro"
    ),
    "household {household}'s recorded consent still does not cover emergency transfers; record the "
    "household's consent in the registry first": (
        "el consentimiento registrado del hogar {household} aún no cubre transferencias de emergencia; "
        "registre primero el consentimiento del hogar en el registro"
    ),
    "grievances are filed by {roles}": "los reclamos los presentan {roles}",
    "a reply is filed by the household itself, through the registry": (
        "una respuesta la presenta el propio hogar, a través del registro"
    ),
    "no grievance {case} (in your jurisdiction)": "no existe el reclamo {case} (en su jurisdicción)",
    "complaint event {event} names no household_id or reply_id": (
        "el evento de reclamo {event} no indica household_id ni reply_id"
    ),
    "complaint event {event}: household {household} is not known to transfers": (
        "evento de reclamo {event}: transferencias no conoce el hogar {household}"
    ),
    "grievance {case} of this household and kind is already open": (
        "el reclamo {case} de este hogar y tipo ya está abierto"
    ),
    "say why the decision stands: the household is told": (
        "diga por qué se mantiene la decisión: se le informa al hogar"
    ),
    "a grievance goes to one of {roles}": "un reclamo se asigna a uno de: {roles}",
    "you handed grievance {case} on; another person resolves it": (
        "usted reasignó el reclamo {case}; lo resuelve otra persona"
    ),
    "household {household} was not held when the case was filed: there is no hold to release": (
        "el hogar {household} no estaba retenido cuando se presentó el reclamo: no hay retención que liberar"
    ),
    "the channel {channel} is for {role}": "el canal {channel} es para {role}",
    "grievance of this household and kind is already open ({kind})": (
        "ya hay un reclamo abierto de este hogar y tipo ({kind})"
    ),
    "a grievance of kind {kind} names the alert it is about": (
        "un reclamo de tipo {kind} indica la alerta a la que se refiere"
    ),
}
