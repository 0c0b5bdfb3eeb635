"""Manual adjustments of a solved schedule: move one meeting, checked against the hard rules.

A run's schedule never changes. Moving a meeting of a succeeded run creates a new succeeded
run of mode `manual`, derived from it (`options.base_run_id`, a Spanish `options.note`), so
comparing, publishing and the run history treat it like any other run.

The check rebuilds the instance the edition solves (`mapping.build_instance`), places the
run's meetings on its slots with the one meeting moved, and asks `solver.validate`; the
violations the move adds (those already in the run are not the move's fault) are turned
into Spanish sentences naming the party, the time (local) and the room.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

import solver
from app.core.errors import Conflict, Invalid
from app.editions.models import Delegation, Edition, EditionStatus, Room, Sector
from app.scheduling.mapping import SlotMap, build_instance, request_key, room_key
from app.scheduling.models import RunMode, RunStatus, SolveRun
from app.scheduling.plan import PlannedMeeting
from app.scheduling.runs import get_run, run_meetings

ADJUSTABLE = {EditionStatus.scheduling, EditionStatus.published}
NOT_ADJUSTABLE = "Solo se ajusta un cronograma con la edición en programación o publicada."
NOT_SUCCEEDED = "Solo se ajusta un cálculo terminado con éxito."
MOVE_REFUSED = "La reunión no puede moverse ahí: {count} conflicto(s) con las reglas."


@dataclass(frozen=True)
class MoveTarget:
    """Where the SD wants a meeting: a local day and start time, a room."""

    request_id: int
    day: dt.date
    start: dt.time
    room_id: int


@dataclass
class MoveCheck:
    """The outcome of checking a move; `conflicts` in Spanish, empty when it is legal."""

    run: SolveRun
    target: MoveTarget
    moved: PlannedMeeting
    previous: PlannedMeeting | None
    meetings: list[PlannedMeeting]
    conflicts: list[str] = field(default_factory=list)
    scheduled_weight: int = 0
    breaks: int = 0

    @property
    def legal(self) -> bool:
        return not self.conflicts


@dataclass
class _Names:
    """Display names of the parties and rooms, and the local clock, for the sentences."""

    parties: dict[str, str]
    rooms: dict[str, str]
    tz: ZoneInfo
    slots: list[tuple[dt.datetime, dt.datetime]]

    def party(self, key: str) -> str:
        return self.parties.get(key, key)

    def room(self, key: str) -> str:
        return self.rooms.get(key, key)

    def time(self, slot: int) -> str:
        return f"{self.slots[slot][0].astimezone(self.tz):%H:%M}"

    def when(self, slot: int) -> str:
        return f"{self.slots[slot][0].astimezone(self.tz):%d/%m a las %H:%M}"


def _names(session: Session, instance: solver.Instance, slot_map: SlotMap, tz: ZoneInfo) -> _Names:
    ids: dict[str, list[int]] = {kind: [] for kind in ("delegation", "sector")}
    for p in instance.parties:
        kind, _, pk = p.id.partition(":")
        if kind in ids:
            ids[kind].append(int(pk))
    parties = {
        f"delegation:{i}": name
        for i, name in session.exec(
            select(Delegation.id, Delegation.name).where(col(Delegation.id).in_(ids["delegation"]))
        ).all()
    } | {
        f"sector:{i}": name
        for i, name in session.exec(
            select(Sector.id, Sector.name).where(col(Sector.id).in_(ids["sector"]))
        ).all()
    }
    room_ids = [int(r.id.partition(":")[2]) for r in instance.rooms]
    rooms = {
        room_key(i): name
        for i, name in session.exec(
            select(Room.id, Room.name).where(col(Room.id).in_(room_ids))
        ).all()
    }
    return _Names(parties=parties, rooms=rooms, tz=tz, slots=slot_map.slots)


def _with(names: _Names, request: solver.MeetingRequest, but: str) -> str:
    others = [names.party(p) for p in request.parties if p != but]
    return others[0] if len(others) == 1 else ", ".join(others[:-1]) + " y " + others[-1]


_PARTY_BUSY = re.compile(r"^party (\S+) in (\S+) and (\S+) at slot (\d+)$")
_ROOM_BUSY = re.compile(r"^room (\S+) holds (\S+) and (\S+) at slot (\d+)$")
_UNAVAILABLE = re.compile(r"^request (\S+): party (\S+) unavailable at slots \[(\d+)")
_CAPACITY = re.compile(r"^request (\S+): room (\S+) holds (\d+) < (\d+)$")
_RESERVED = re.compile(r"^request (\S+): room (\S+) is reserved for (\S+)$")
_CROSSES = re.compile(r"^request (\S+): (starts at|slots) ")
_PINNED = re.compile(r"^request (\S+): pinned to ")
_ONE_ROOM = re.compile(r"^sector (\S+) uses several rooms")
_HOME_ROOM = re.compile(r"request \S+: sector (\S+) meets in (\S+), its home room is (\S+)$")


def _sentence(
    violation: str,
    *,
    moved: str,
    where: dict[str, tuple[int, str]],
    instance: solver.Instance,
    names: _Names,
) -> str:
    """One validator violation caused by moving `moved`, as a sentence for the SD."""
    reqs = instance.request_by_id
    if m := _PARTY_BUSY.match(violation):
        party, a, b = m.group(1), m.group(2), m.group(3)
        other = a if b == moved else b
        slot, room = where[other]
        return (
            f"{names.party(party)} ya tiene una reunión a las {names.time(slot)} con "
            f"{_with(names, reqs[other], party)} en la {names.room(room)}."
        )
    if m := _ROOM_BUSY.match(violation):
        room, a, b = m.group(1), m.group(2), m.group(3)
        other = a if b == moved else b
        slot, _ = where[other]
        parties = [names.party(p) for p in reqs[other].parties]
        return (
            f"La {names.room(room)} ya está ocupada a las {names.time(slot)} por la reunión "
            f"de {parties[0]} con {_with(names, reqs[other], reqs[other].parties[0])}."
        )
    if m := _UNAVAILABLE.match(violation):
        return f"{names.party(m.group(2))} no está disponible a las {names.time(int(m.group(3)))}."
    if m := _CAPACITY.match(violation):
        return (
            f"La {names.room(m.group(2))} tiene capacidad para {m.group(3)} personas y la "
            f"reunión reúne a {m.group(4)}."
        )
    if m := _RESERVED.match(violation):
        return f"La {names.room(m.group(2))} está reservada para {names.party(m.group(3))}."
    if _CROSSES.match(violation):
        slot, _ = where[moved]
        return (
            f"La reunión de {reqs[moved].duration} turno(s) que empieza a las "
            f"{names.time(slot)} termina después del fin del bloque de bilaterales."
        )
    if _PINNED.match(violation):
        pin = reqs[moved].pin
        at = f" ({names.when(pin.slot)})" if pin is not None else ""
        return (
            f"La reunión está fijada a otro horario o sala{at}; quite la fijación antes de moverla."
        )
    if m := _ONE_ROOM.match(violation):
        return (
            f"{names.party(m.group(1))} debe mantener una sola sala en todo el cronograma "
            "(opción del cálculo)."
        )
    if m := _HOME_ROOM.match(violation):
        return (
            f"{names.party(m.group(1))} recibe a las delegaciones en la {names.room(m.group(3))} "
            "(una sala por ministerio, opción del cálculo)."
        )
    if violation.startswith("home rooms:"):
        return (
            "Con una sala por ministerio (opción del cálculo), la reunión debe hacerse en la sala "
            "de uno de sus ministerios."
        )
    if violation.startswith("break fairness"):
        return "El cambio desequilibra los tiempos libres entre participantes más de lo permitido."
    return f"El cambio incumple una regla del cronograma ({violation})."


def _slot_of(slot_map: SlotMap, tz: ZoneInfo, day: dt.date, start: dt.time) -> int | None:
    for i, (begin, _end) in enumerate(slot_map.slots):
        local = begin.astimezone(tz)
        if local.date() == day and local.time() == start:
            return i
    return None


def _solution(instance: solver.Instance, placed: dict[str, tuple[int, str]]) -> solver.Solution:
    reqs = instance.request_by_id
    return solver.Solution(
        instance=instance.name,
        status=solver.Status.FEASIBLE,
        assignments=[
            solver.Assignment(request=r, slot=s, room=room) for r, (s, room) in placed.items()
        ],
        scheduled_weight=sum(reqs[r].weight for r in placed),
    )


def check_move(*, session: Session, edition: Edition, run_id: int, target: MoveTarget) -> MoveCheck:
    """Check moving a meeting of a succeeded run (or placing one it left out) against the
    hard rules; no writes. 404 for a foreign run, 409 for a run or edition that cannot be
    adjusted, 422 for a time off the grid or a room or request not in the edition."""
    run = get_run(session=session, edition=edition, run_id=run_id)
    if EditionStatus(edition.status) not in ADJUSTABLE:
        raise Conflict(NOT_ADJUSTABLE)
    if run.status != RunStatus.succeeded:
        raise Conflict(NOT_SUCCEEDED)
    instance, slot_map = build_instance(
        session=session, edition=edition, options_in=run.options or {"time_limit_s": 10}
    )
    tz = ZoneInfo(edition.timezone)
    moved = request_key(target.request_id)
    if moved not in instance.request_by_id:
        raise Invalid(
            f"La solicitud {target.request_id} no es una solicitud activa de la edición.",
            field="request_id",
        )
    room = room_key(target.room_id)
    if room not in instance.room_by_id:
        raise Invalid("La sala no pertenece a esta edición.", field="room_id")
    slot = _slot_of(slot_map, tz, target.day, target.start)
    if slot is None:
        raise Invalid(
            f"El {target.day:%d/%m/%Y} a las {target.start:%H:%M} no empieza un turno de "
            "bilaterales de la edición.",
            field="start",
        )
    meetings = run_meetings(session=session, run=run)
    before: dict[str, tuple[int, str]] = {}
    for m in meetings:
        key = request_key(m.request_id)
        at = slot_map.slot_by_start.get(m.starts_at.astimezone(dt.UTC))
        if key in instance.request_by_id and at is not None:
            before[key] = (at, room_key(m.room_id))
    after = dict(before) | {moved: (slot, room)}
    # What the run already breaks is not the move's fault, unless it is about the moved
    # meeting (the same problem again at its new place).
    mine = re.compile(re.escape(moved) + r"\b")
    old = {
        v
        for v in solver.validate(instance, _solution(instance, before)).violations
        if not mine.search(v)
    }
    report = solver.validate(instance, _solution(instance, after))
    names = _names(session, instance, slot_map, tz)
    conflicts = list(
        dict.fromkeys(
            _sentence(v, moved=moved, where=after, instance=instance, names=names)
            for v in report.violations
            if v not in old
        )
    )
    duration = slot_map.durations[moved]
    end = min(slot + duration - 1, len(slot_map.slots) - 1)
    planned = PlannedMeeting(
        request_id=target.request_id,
        room_id=target.room_id,
        starts_at=slot_map.slots[slot][0],
        ends_at=slot_map.slots[end][1],
    )
    previous = next((m for m in meetings if m.request_id == target.request_id), None)
    others = [m for m in meetings if m.request_id != target.request_id]
    return MoveCheck(
        run=run,
        target=target,
        moved=planned,
        previous=previous,
        meetings=sorted(others + [planned], key=lambda m: (m.starts_at, m.room_id, m.request_id)),
        conflicts=conflicts,
        scheduled_weight=report.scheduled_weight,
        breaks=report.breaks_total,
    )


def _note(check: MoveCheck, rooms: dict[int, str], tz: ZoneInfo) -> str:
    def at(m: PlannedMeeting) -> str:
        return f"{m.starts_at.astimezone(tz):%d/%m %H:%M} ({rooms.get(m.room_id, m.room_id)})"

    rid = check.target.request_id
    if check.previous is None:
        return f"Solicitud {rid} programada a mano el {at(check.moved)}."
    return f"Solicitud {rid} movida del {at(check.previous)} al {at(check.moved)}."


def apply_move(
    *,
    session: Session,
    edition: Edition,
    run_id: int,
    target: MoveTarget,
    created_by: str,
    now: dt.datetime,
) -> SolveRun:
    """Move a meeting as `check_move` checks it and save the result as a new manual run;
    409 with the Spanish `conflicts` when the move breaks a hard rule (nothing is saved)."""
    check = check_move(session=session, edition=edition, run_id=run_id, target=target)
    if not check.legal:
        raise Conflict(
            MOVE_REFUSED.format(count=len(check.conflicts)) + " " + " ".join(check.conflicts),
            conflicts=check.conflicts,
        )
    base = check.run
    rooms = dict(
        session.exec(select(Room.id, Room.name).where(Room.edition_id == edition.id)).all()
    )
    note = _note(check, rooms, ZoneInfo(edition.timezone))
    result = dict(base.result or {})
    result |= {
        "status": solver.Status.FEASIBLE.value,
        "scheduled_weight": check.scheduled_weight,
        "breaks": check.breaks,
        "seconds": 0.0,
        "stages": [],
        "conflicts": [],
        "unscheduled": [
            u for u in result.get("unscheduled", []) if u.get("request_id") != target.request_id
        ],
    }
    options = {
        k: v for k, v in (base.options or {}).items() if k not in {"base_run_id", "note"}
    } | {"base_run_id": base.id, "note": note}
    run = SolveRun(
        edition_id=edition.id,
        status=RunStatus.succeeded,
        mode=RunMode.manual,
        options=options,
        progress=[],
        result=result,
        assignments=[m.to_json() for m in check.meetings],
        created_by=created_by[:64],
        created_at=now,
        started_at=now,
        finished_at=now,
    )
    session.add(run)
    session.flush()
    return run
