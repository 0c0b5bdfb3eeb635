"""History import: the SD's earlier tracking spreadsheets (XLSX or CSV) as commitments.

Columns (first row; names are case- and accent-insensitive, Spanish aliases accepted):

- edition (edicion), optional: edition name ("7.º GORE Ejecutivo"); linked to an edition
  of the system when the name matches one, else kept as a label (historical editions).
- delegation_code (delegacion, region) and sector_code (sector): codes; at least one.
- type (tipo), required: administrative/administrativo, technical/tecnico,
  budgetary/presupuestal.
- description (descripcion), required: text of 3 to 2000 characters.
- deadline (plazo), optional: a date cell, YYYY-MM-DD or DD/MM/YYYY.
- status (estado), required: pending/pendiente, in_process/en proceso, executed/ejecutado,
  cancelled/cancelado.
- amount (monto): soles, >= 0, at most 2 decimals; required for budgetary commitments.
- cui, optional: 7 digits.
- executed_at (fecha_ejecucion), optional: a date, only for executed commitments.

Other columns are ignored. Rules: all or nothing (any bad row rejects the whole file with a
422 listing row, column and message, in Spanish); at most 5 MB and 20,000 data rows (413);
formulas are never evaluated: an XLSX is read without computed values, so a formula cell is
its text; in a text column it is stored as plain text (exports neutralise it), in a typed
column it is a wrong-type error. The same file (SHA-256) cannot be imported twice (409).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import unicodedata
import zipfile
from collections import Counter
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlmodel import Session, select

from app.access.principal import Principal
from app.commitments.models import (
    DESCRIPTION_MAX,
    CommitmentImport,
    CommitmentStatus,
    CommitmentType,
    ImportResult,
)
from app.commitments.service import bulk_insert
from app.core.errors import Conflict, DomainError, Invalid
from app.editions.models import Delegation, Edition, Sector

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
MAX_COLUMNS = 40
MAX_REPORTED_ERRORS = 500


class TooLarge(DomainError):
    status, slug = 413, "payload-too-large"


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return re.sub(r"[\s\-]+", "_", text.strip().lower())


COLUMNS = {
    "edition": "edition",
    "edicion": "edition",
    "delegation_code": "delegation_code",
    "delegation": "delegation_code",
    "delegacion": "delegation_code",
    "region": "delegation_code",
    "sector_code": "sector_code",
    "sector": "sector_code",
    "type": "type",
    "tipo": "type",
    "description": "description",
    "descripcion": "description",
    "deadline": "deadline",
    "plazo": "deadline",
    "status": "status",
    "estado": "status",
    "amount": "amount",
    "monto": "amount",
    "cui": "cui",
    "executed_at": "executed_at",
    "fecha_ejecucion": "executed_at",
}
TYPES = {
    "administrative": CommitmentType.administrative,
    "administrativo": CommitmentType.administrative,
    "administrativa": CommitmentType.administrative,
    "technical": CommitmentType.technical,
    "tecnico": CommitmentType.technical,
    "tecnica": CommitmentType.technical,
    "budgetary": CommitmentType.budgetary,
    "presupuestal": CommitmentType.budgetary,
    "presupuestario": CommitmentType.budgetary,
}
STATUSES = {
    "pending": CommitmentStatus.pending,
    "pendiente": CommitmentStatus.pending,
    "in_process": CommitmentStatus.in_process,
    "en_proceso": CommitmentStatus.in_process,
    "executed": CommitmentStatus.executed,
    "ejecutado": CommitmentStatus.executed,
    "cancelled": CommitmentStatus.cancelled,
    "cancelado": CommitmentStatus.cancelled,
}
_AMOUNT = re.compile(r"^\d+(\.\d{1,2})?$")
_AMOUNT_THOUSANDS = re.compile(r"^\d{1,3}(,\d{3})+(\.\d{1,2})?$")
_CUI = re.compile(r"^\d{7}$")


# --------------------------------------------------------------------------- reading


def _too_many_rows() -> TooLarge:
    return TooLarge(f"El archivo tiene más de {MAX_ROWS:,} filas de datos.".replace(",", " "))


def _unreadable() -> Invalid:
    return Invalid(
        "El archivo no es un XLSX ni un CSV legible.",
        errors=[{"row": 0, "column": "archivo", "message": "formato no reconocido"}],
    )


def read_rows(data: bytes) -> list[list[Any]]:
    """Every row (header first) of an XLSX (first sheet) or CSV file, values as stored."""
    if data[:4] == b"PK\x03\x04":
        return _xlsx_rows(data)
    return _csv_rows(data)


def _xlsx_rows(data: bytes) -> list[list[Any]]:
    from openpyxl import load_workbook

    try:
        # data_only=False: a formula cell reads as its formula text, never a computed value.
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        raise _unreadable() from exc
    try:
        sheet = book.worksheets[0]
        out: list[list[Any]] = []
        for values in sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True):
            out.append(list(values))
            if len(out) > MAX_ROWS + 1:
                raise _too_many_rows()
        return out
    except DomainError:
        raise
    except Exception as exc:  # a corrupt sheet: openpyxl raises many kinds
        raise _unreadable() from exc
    finally:
        book.close()


def _csv_rows(data: bytes) -> list[list[Any]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    if "\x00" in text:
        raise _unreadable()
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    out: list[list[Any]] = []
    try:
        for values in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            out.append(values[:MAX_COLUMNS])
            if len(out) > MAX_ROWS + 1:
                raise _too_many_rows()
    except csv.Error as exc:
        raise Invalid(
            "El CSV no se puede leer.",
            errors=[{"row": len(out) + 1, "column": "archivo", "message": str(exc)}],
        ) from exc
    return out


# --------------------------------------------------------------------------- cells


class CellError(ValueError):
    pass


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
            try:
                return dt.datetime.strptime(text, fmt).date()
            except ValueError:
                continue
    raise CellError("no es una fecha válida (AAAA-MM-DD o DD/MM/AAAA)")


def _amount(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise CellError("no es un monto válido")
    if isinstance(value, int | float | Decimal):
        try:
            amount = Decimal(str(value))
        except InvalidOperation as exc:
            raise CellError("no es un monto válido") from exc
    elif isinstance(value, str):
        text = value.strip().replace("S/", "").replace(" ", "")
        if _AMOUNT_THOUSANDS.match(text):
            text = text.replace(",", "")
        if not _AMOUNT.match(text):
            hint = " (las fórmulas no se evalúan)" if text[:1] in "=+-@" else ""
            raise CellError(f"no es un monto válido{hint}")
        amount = Decimal(text)
    else:
        raise CellError("no es un monto válido")
    if not amount.is_finite() or amount < 0:
        raise CellError("el monto debe ser un número no negativo")
    if amount != amount.quantize(Decimal("0.01")) or amount >= Decimal("1e16"):
        raise CellError("el monto admite como máximo dos decimales y 16 cifras")
    return amount.quantize(Decimal("0.01"))


def _cui(value: Any) -> str:
    if isinstance(value, bool):
        raise CellError("el CUI tiene 7 dígitos")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if not _CUI.match(text):
        raise CellError("el CUI tiene 7 dígitos")
    return text


# --------------------------------------------------------------------------- validation


def validate(
    *, session: Session, table: list[list[Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(rows ready to insert, errors): errors carry the spreadsheet row (header = 1)."""
    errors: list[dict[str, Any]] = []
    if not table:
        return [], [{"row": 1, "column": "archivo", "message": "el archivo está vacío"}]
    header: dict[str, int] = {}
    for i, name in enumerate(table[0]):
        if _blank(name):
            continue
        key = COLUMNS.get(_norm(_text(name)))
        if key and key not in header:
            header[key] = i
    for required in ("type", "description", "status"):
        if required not in header:
            errors.append({"row": 1, "column": required, "message": "falta la columna"})
    if "delegation_code" not in header and "sector_code" not in header:
        errors.append(
            {
                "row": 1,
                "column": "delegation_code/sector_code",
                "message": "falta la columna del responsable (delegación o sector)",
            }
        )
    if errors:
        return [], errors
    delegations = {d.code.upper(): d.id for d in session.exec(select(Delegation)).all()}
    sectors = {s.code.upper(): s.id for s in session.exec(select(Sector)).all()}
    editions = {e.name: e.id for e in session.exec(select(Edition)).all()}
    out: list[dict[str, Any]] = []
    for number, values in enumerate(table[1:], start=2):
        if all(_blank(v) for v in values):
            continue

        def cell(column: str, values: list[Any] = values) -> Any:
            i = header.get(column)
            return values[i] if i is not None and i < len(values) else None

        row: dict[str, Any] = {}
        row_errors: list[tuple[str, str]] = []

        def check(column: str, parse: Any, row_errors: list = row_errors) -> Any:
            try:
                return parse(cell(column))
            except CellError as exc:
                row_errors.append((column, str(exc)))
                return None

        def parse_description(v: Any) -> str:
            if _blank(v):
                raise CellError("es obligatoria")
            text = _text(v)
            if len(text) < 3 or len(text) > DESCRIPTION_MAX:
                raise CellError(f"debe tener entre 3 y {DESCRIPTION_MAX} caracteres")
            return text  # stored as plain text, even if it looks like a formula

        def parse_choice(v: Any, options: dict, what: str) -> Any:
            if _blank(v):
                raise CellError("es obligatorio")
            found = options.get(_norm(_text(v)))
            if found is None:
                raise CellError(f"{what} desconocido: {_text(v)[:40]!r}")
            return found

        def parse_code(v: Any, known: dict, what: str) -> int | None:
            if _blank(v):
                return None
            found = known.get(_text(v).upper())
            if found is None:
                raise CellError(f"no existe {what} con código {_text(v)[:20]!r}")
            return found

        row["description"] = check("description", parse_description)
        ctype = check("type", lambda v: parse_choice(v, TYPES, "tipo"))
        status = check("status", lambda v: parse_choice(v, STATUSES, "estado"))
        row["delegation_id"] = check(
            "delegation_code", lambda v: parse_code(v, delegations, "una delegación")
        )
        row["sector_id"] = check("sector_code", lambda v: parse_code(v, sectors, "un sector"))
        row["deadline"] = check("deadline", lambda v: None if _blank(v) else _date(v))
        row["amount"] = check("amount", lambda v: None if _blank(v) else _amount(v))
        row["cui"] = check("cui", lambda v: None if _blank(v) else _cui(v))
        row["executed_at"] = check("executed_at", lambda v: None if _blank(v) else _date(v))
        edition = cell("edition")
        label = None if _blank(edition) else _text(edition)
        if label is not None and len(label) > 120:
            row_errors.append(("edition", "el nombre de la edición tiene más de 120 caracteres"))
        row["edition_label"] = label
        row["edition_id"] = editions.get(label) if label else None
        if (
            row["delegation_id"] is None
            and row["sector_id"] is None
            and not any(c in ("delegation_code", "sector_code") for c, _ in row_errors)
        ):
            row_errors.append(("delegation_code/sector_code", "falta el responsable"))
        if (
            ctype == CommitmentType.budgetary
            and row["amount"] is None
            and not any(c == "amount" for c, _ in row_errors)
        ):
            row_errors.append(("amount", "un compromiso presupuestal necesita su monto"))
        if row["executed_at"] is not None and status not in (None, CommitmentStatus.executed):
            row_errors.append(
                ("executed_at", "solo un compromiso ejecutado tiene fecha de ejecución")
            )
        for column, message in row_errors:
            errors.append({"row": number, "column": column, "message": message})
        if not row_errors:
            row["type"] = ctype.value  # type: ignore[union-attr]
            row["status"] = status.value  # type: ignore[union-attr]
            out.append(row)
    if not out and not errors:
        errors.append({"row": 2, "column": "archivo", "message": "el archivo no tiene filas"})
    return out, errors


def import_file(
    *, session: Session, data: bytes, filename: str, principal: Principal
) -> ImportResult:
    """Validate every row; import all of them or none (422 with the rejected rows)."""
    if len(data) > MAX_BYTES:
        raise TooLarge(f"El archivo supera el límite de {MAX_BYTES // (1024 * 1024)} MB.")
    digest = hashlib.sha256(data).hexdigest()
    if session.exec(select(CommitmentImport).where(CommitmentImport.sha256 == digest)).first():
        raise Conflict("Este archivo ya se importó.")
    table = read_rows(data)
    if len(table) - 1 > MAX_ROWS:
        raise _too_many_rows()
    rows, errors = validate(session=session, table=table)
    if errors:
        rejected = len({e["row"] for e in errors})
        raise Invalid(
            f"Se rechazó el archivo: {rejected} fila(s) con errores. No se importó ningún "
            "compromiso; corrija las filas indicadas en 'errors' y vuelva a enviarlo.",
            error_count=len(errors),
            errors=errors[:MAX_REPORTED_ERRORS],
        )
    batch = CommitmentImport(
        filename=(filename or "archivo")[:200],
        sha256=digest,
        rows=len(rows),
        imported_by=principal.name[:120],
    )
    n = bulk_insert(
        session=session,
        rows=rows,
        batch=batch,
        actor_name=principal.name,
        actor_role=str(principal.role),
        actor_key_id=principal.key_id,
    )
    return ImportResult(
        import_id=batch.id,  # type: ignore[arg-type]
        filename=batch.filename,
        imported=n,
        by_status=dict(Counter(r["status"] for r in rows)),
        by_type=dict(Counter(r["type"] for r in rows)),
    )
