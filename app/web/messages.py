"""Spanish strings of the web pages that are not in a template: flash messages, labels
of enumerations and the wording of pydantic's validation errors."""

from __future__ import annotations

from typing import Any

from app.access.models import Role
from app.editions.models import BlockKind
from app.submissions.models import TopicKind, TopicStatus

ROLE = {
    Role.sd_admin: "Secretaría de Descentralización",
    Role.delegation: "Delegación",
    Role.sector: "Sector",
    Role.rapporteur: "Relator",
}
TOPIC_KIND = {
    TopicKind.investment_project: "Proyecto de inversión",
    TopicKind.budget_request: "Pedido presupuestal",
    TopicKind.administrative_blockage: "Traba administrativa",
    TopicKind.other: "Otro",
}
TOPIC_STATUS = {
    TopicStatus.pending: "pendiente",
    TopicStatus.accepted: "aceptado",
    TopicStatus.rejected: "rechazado",
    TopicStatus.merged: "fusionado",
}
BLOCK_KIND = {
    BlockKind.bilateral: "Bilaterales",
    BlockKind.plenary: "Plenaria",
    BlockKind.lunch: "Almuerzo",
    BlockKind.political_meeting: "Reunión política",
    BlockKind.other: "Otro",
}

LOGGED_OUT = "Cerró su sesión."
PASSWORD_CHANGED = "Su contraseña cambió; las demás sesiones de su cuenta se cerraron."
LOGIN_REQUIRED = "Inicie sesión para continuar."
CSRF_FAILED = (
    "El formulario caducó o no proviene de esta aplicación. Vuelva a cargar la página e "
    "inténtelo de nuevo; no se guardó ningún cambio."
)
STATUS_CHANGED = "La edición pasó a «{status}»."
ROOM_CREATED = "Sala «{name}» creada."
ROOM_DELETED = "Sala eliminada."
BLOCK_ADDED = "Bloque agregado."
BLOCK_DELETED = "Bloque eliminado."
PARTICIPANTS_ADDED = "Participantes agregados."
UNAVAILABILITY_CREATED = "Indisponibilidad registrada."
UNAVAILABILITY_DELETED = "Indisponibilidad eliminada."
TOPICS_ACCEPTED = "{count} tema(s) aceptado(s)."
TOPIC_ACCEPTED = "Tema {id} aceptado."
TOPIC_REJECTED = "Tema {id} rechazado."
TOPIC_MERGED = "Tema {id} fusionado en el tema {into}."
TOPICS_RERANKED = "Nuevo orden guardado."
REQUESTS_GENERATED = "Se generaron {count} solicitudes de reunión."
NOTHING_SELECTED = "Seleccione al menos un tema."
VERSION_PUBLISHED = "Versión {number} de la agenda publicada; sus correos quedaron en cola."
MESSAGE_SENT_NOW = "El mensaje {id} se enviará ahora."
MESSAGE_RESENT = "El mensaje {id} se reenviará como el mensaje {new}."
CHOOSE_RUN = "Elija la corrida que se publica."
FORCE_REASON_MISSING = "Indique el motivo para forzar la publicación."
LATE_NEEDS_FORCE = (
    "El plazo para enviar las agendas ya pasó: marque «Forzar» e indique el motivo para "
    "publicar de todos modos."
)
DELIVERY_STATUS = {
    "none": "sin envíos (sin correos o sin cambios)",
    "scheduled": "programado",
    "pending": "por enviar",
    "sent": "enviado",
    "partial": "parcial: hay envíos fallidos",
    "failed": "fallido",
    "superseded": "reemplazado por una versión posterior",
    "cancelled": "cancelado: la edición se cerró antes del envío",
}
SOLVER_STATUS = {"OPTIMAL": "óptima", "FEASIBLE": "factible"}
REQUEST_SAVED = "Solicitud {id} guardada."
REQUESTS_MERGED = "Solicitudes {ids} fusionadas en la reunión multisectorial {id}."
MERGE_NEEDS_TWO = "Seleccione al menos dos solicitudes de la misma delegación para fusionarlas."
RUN_STARTED = "Cálculo {id} iniciado."
RUN_CANCEL_REQUESTED = "Se pidió cancelar el cálculo {id}."
TOPICS_SAVED = "Lista de temas guardada como versión {number}."
TOPICS_INVALID = "La lista tiene errores; corríjalos (están junto a cada tema) y vuelva a guardar."
TOPICS_EMPTY = (
    "La lista no tiene temas: guardarla retira todos los temas de su delegación. Marque la "
    "confirmación si es lo que desea."
)
FEED_ROTATED = (
    "Se generó una nueva dirección de suscripción; la anterior dejó de funcionar. Actualice "
    "la suscripción en su calendario."
)
COMMITMENT_STATUS = "El compromiso pasó a «{status}»."
EVIDENCE_ADDED = "Evidencia agregada."
EVIDENCE_MISSING = "Indique un enlace, elija un archivo o escriba una nota."
EVIDENCE_BAD_LINK = "El enlace no es válido: debe empezar por https:// o http://."
RECORD_SAVED = "Relatoría guardada como borrador."
RECORD_CLOSED = "Relatoría guardada y cerrada."
COMMITMENT_ADDED = "Compromiso registrado."
NOT_HELD_REASON = "Indique el motivo por el que la reunión no se realizó."
RESPONSIBLE_MISSING = "Elija el responsable del compromiso."
DEADLINE_MISSING = "Indique el plazo (una fecha)."
AMOUNT_INVALID = "Indique el monto en soles como un número (p. ej. 1500000.00)."
AMOUNT_MISSING = "Un compromiso presupuestal necesita su monto en soles."
DESCRIPTION_MISSING = "Describa el compromiso (al menos 3 caracteres)."
TYPE_MISSING = "Elija el tipo de compromiso."

_PYDANTIC = {
    "missing": "Este campo es obligatorio.",
    "string_too_short": "Este campo no puede quedar vacío.",
    "string_too_long": "El texto es demasiado largo (máximo {max_length} caracteres).",
    "greater_than_equal": "Debe ser mayor o igual que {ge}.",
    "less_than_equal": "Debe ser menor o igual que {le}.",
    "greater_than": "Debe ser mayor que {gt}.",
    "int_parsing": "Indique un número entero.",
    "decimal_parsing": "Indique un número.",
    "time_parsing": "Indique una hora válida (HH:MM).",
    "date_parsing": "Indique una fecha válida.",
    "date_from_datetime_parsing": "Indique una fecha válida.",
    "enum": "Elija una de las opciones.",
    "string_pattern_mismatch": "El formato no es válido.",
}


def validation_message(error: dict[str, Any]) -> str:
    """One pydantic error in Spanish (the generic sentence when its type is unknown)."""
    if error.get("input", "") is None:  # an empty form field where a value is needed
        return _PYDANTIC["missing"]
    template = _PYDANTIC.get(error.get("type", ""))
    if template is None:
        return "El valor no es válido."
    try:
        return template.format(**(error.get("ctx") or {}))
    except (KeyError, IndexError):
        return template


def field_errors(errors: list[dict[str, Any]]) -> dict[str, str]:
    """Pydantic errors keyed by their first location (the form field), first error wins."""
    out: dict[str, str] = {}
    for error in errors:
        loc = error.get("loc") or ("__all__",)
        out.setdefault(str(loc[0]), validation_message(error))
    return out
