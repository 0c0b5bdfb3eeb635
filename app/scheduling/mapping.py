"""Rows to a solver instance and a solution back to `PlannedMeeting`s.

Ids in the instance: "request:<id>", "room:<id>", "delegation:<id>", "sector:<id>";
parties carry their display code (CUS, MINSA) as `name`, so the solver's English reasons
name them the way the SD does. The grid is the edition's bilateral blocks in day order
(global slot indices, the same numbering as `service.bilateral_grid`); block ids are
"d<day position>b<n>" (n-th bilateral block of the day), tagged morning / afternoon.
Datetimes going out are aware UTC, as `UTCDateTime` columns read back.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

import solver
from app.core.errors import Conflict
from app.editions.models import (
    BlockKind,
    Delegation,
    Edition,
    EditionDelegation,
    EditionSector,
    Room,
    Sector,
    Unavailability,
)
from app.scheduling.models import MeetingRequest, MeetingRequestSector, RequestStatus
from app.scheduling.plan import PlannedMeeting

AFTERNOON = dt.time(12, 0)


def request_key(request_id: int) -> str:
    return f"request:{request_id}"


def room_key(room_id: int) -> str:
    return f"room:{room_id}"


def _id(key: str) -> int:
    return int(key.rsplit(":", 1)[1])


@dataclass
class SlotMap:
    """How to read a solution of the instance back in terms of rows and datetimes."""

    slots: list[tuple[dt.datetime, dt.datetime]]  # aware UTC, by global index
    durations: dict[str, int]  # request key -> slots
    party_codes: dict[str, str]  # party key -> display code
    request_parties: dict[str, list[str]]
    slot_by_start: dict[dt.datetime, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.slot_by_start = {start: i for i, (start, _end) in enumerate(self.slots)}

    def to_planned(self, solution: solver.Solution) -> list[PlannedMeeting]:
        """The solution's assignments as planned meetings, by start then room."""
        out = [
            PlannedMeeting(
                request_id=_id(a.request),
                room_id=_id(a.room),
                starts_at=self.slots[a.slot][0],
                ends_at=self.slots[a.slot + self.durations[a.request] - 1][1],
            )
            for a in solution.assignments
        ]
        return sorted(out, key=lambda m: (m.starts_at, m.room_id, m.request_id))

    def unscheduled(self, solution: solver.Solution) -> dict[int, dict[str, str]]:
        """request id -> {code, reason (English, from the solver), detail (Spanish)}."""
        return {
            _id(u.request): {
                "code": u.code,
                "reason": u.reason,
                "detail": spanish_reason(u, self.party_codes, self.request_parties),
            }
            for u in solution.unscheduled
        }

    def previous(self, meetings: list[PlannedMeeting]) -> list[solver.Assignment]:
        """Planned meetings as the solver's `previous` (unknown requests or slots dropped)."""
        out = []
        for m in meetings:
            key = request_key(m.request_id)
            slot = self.slot_by_start.get(m.starts_at.astimezone(dt.UTC))
            if key in self.durations and slot is not None:
                out.append(solver.Assignment(request=key, slot=slot, room=room_key(m.room_id)))
        return out


def _join(codes: list[str]) -> str:
    return codes[0] if len(codes) == 1 else ", ".join(codes[:-1]) + " y " + codes[-1]


def _dropped_reason(reason: str, codes: list[str]) -> str:
    """A published meeting the re-plan could not keep (solver/explain.py: dropped_reason)."""
    away = re.match(r"^(.*) is unavailable from (\S+) to (\S+) and ", reason)
    who = away.group(1) if away else ""
    others = [c for c in codes if c != who] or codes or ["-"]
    rest = (
        "no tiene otro horario posible"
        if reason.endswith("it has no other start time")
        else f"no hay otro horario libre con {_join(others)}"
    )
    if away:
        names = who.replace(" and ", " y ")
        return (
            f"Reunión publicada que no se pudo mantener: {names} no está disponible de "
            f"{away.group(2)} a {away.group(3)} y {rest}."
        )
    if reason.startswith("its earlier room"):
        return f"Reunión publicada que no se pudo mantener: su sala ya no le sirve y {rest}."
    return (
        "Reunión publicada que no se pudo mantener: su horario choca con reuniones que se "
        f"mantienen y {rest}."
    )


def spanish_reason(
    u: solver.Unscheduled, party_codes: dict[str, str], request_parties: dict[str, list[str]]
) -> str:
    """The solver's reason code as a sentence for the SD team."""
    parties = _join([party_codes.get(p, p) for p in request_parties.get(u.request, [])] or ["-"])
    numbers = re.findall(r"\d+", u.reason)
    if u.code == "no_room":
        return "Ninguna sala disponible para esta reunión tiene capacidad suficiente."
    if u.code == "pin_conflict":
        return "El horario o la sala fijados para la reunión no son posibles."
    if u.code == "window_closed":
        return "Los bloques y horarios permitidos no dejan un horario de inicio posible."
    if u.code == "no_common_slot":
        return f"{parties} no tienen un turno libre en común."
    if u.code == "home_room":
        return (
            "En todos los horarios libres de sus participantes, la sala de su ministerio está "
            "ocupada."
        )
    if u.code == "previous_dropped":
        return _dropped_reason(
            u.reason, [party_codes.get(p, p) for p in request_parties.get(u.request, [])]
        )
    if u.code == "precedence":
        return "Todos los horarios libres romperían el orden fijado con otras reuniones."
    if u.code == "party_capacity":
        who = u.reason.split(" has ", 1)[0]
        if len(numbers) >= 2:
            return (
                f"La agenda de {who} está llena: tiene {numbers[-2]} turnos libres y "
                f"{numbers[-1]} reuniones de igual o mayor prioridad."
            )
        return f"La agenda de {who} está llena con reuniones de igual o mayor prioridad."
    if u.code == "room_capacity":
        return (
            "En todos los horarios posibles las salas están ocupadas por reuniones de igual "
            "o mayor prioridad."
        )
    if u.code == "mandatory_conflict":
        return "Es obligatoria, pero no cabe junto con otras reuniones obligatorias."
    if u.code == "infeasible":
        return "No existe un cronograma: las reuniones obligatorias no caben todas."
    if u.code == "time_limit":
        return "El cálculo llegó a su límite de tiempo sin encontrar un cronograma."
    return "Se dejó fuera para programar reuniones de mayor prioridad total."


def _grid(edition: Edition) -> tuple[solver.TimeGrid, list[tuple[dt.datetime, dt.datetime]]]:
    tz = ZoneInfo(edition.timezone)
    step = dt.timedelta(minutes=edition.slot_minutes)
    days = []
    slots: list[tuple[dt.datetime, dt.datetime]] = []
    for day in sorted(edition.days, key=lambda d: d.position):
        blocks = []
        for block in sorted(day.blocks, key=lambda b: b.start_time):
            if block.kind != BlockKind.bilateral:
                continue
            start = dt.datetime.combine(day.date, block.start_time, tzinfo=tz)
            end = dt.datetime.combine(day.date, block.end_time, tzinfo=tz)
            n = int((end - start) / step)
            if n < 1:
                continue
            for i in range(n):
                at = start + i * step
                slots.append((at.astimezone(dt.UTC), (at + step).astimezone(dt.UTC)))
            blocks.append(
                solver.Block(
                    id=f"d{day.position}b{len(blocks) + 1}",
                    slots=n,
                    tag="afternoon" if block.start_time >= AFTERNOON else "morning",
                    start=f"{block.start_time:%H:%M}",
                )
            )
        if blocks:
            days.append(solver.Day(id=day.date.isoformat(), blocks=blocks))
    if not days:
        raise Conflict("La edición no tiene bloques de bilaterales que programar.")
    return solver.TimeGrid(slot_minutes=edition.slot_minutes, days=days), slots


def solver_options(options: dict[str, Any], previous: list[solver.Assignment] | None) -> Any:
    """The solver's options from a run's stored options (see `runs.RunOptionsIn`)."""
    kwargs: dict[str, Any] = {
        "time_limit_s": options["time_limit_s"],
        "workers": options.get("workers", 2),
        "fairness": options.get("fairness", True),
        "break_fairness": options.get("break_fairness"),
        "sector_keeps_room": options.get("sector_keeps_room", False),
        "home_rooms": options.get("home_rooms", False),
        "seed": options.get("seed", 0),
    }
    if previous is not None:
        kwargs["previous"] = previous
        kwargs["release"] = [request_key(i) for i in options.get("release", [])]
        kwargs["stages"] = solver.REPLAN_STAGES
    return solver.Options(**kwargs)


def build_instance(
    *,
    session: Session,
    edition: Edition,
    options_in: dict[str, Any],
    previous: list[PlannedMeeting] | None = None,
) -> tuple[solver.Instance, SlotMap]:
    """The edition's active requests as a solver instance, and the way back."""
    grid, slots = _grid(edition)
    rooms = session.exec(
        select(Room).where(Room.edition_id == edition.id).order_by(col(Room.id))
    ).all()
    if not rooms:
        raise Conflict("La edición no tiene salas para las bilaterales.")
    requests = session.exec(
        select(MeetingRequest)
        .where(
            MeetingRequest.edition_id == edition.id,
            MeetingRequest.status == RequestStatus.active,
        )
        .order_by(col(MeetingRequest.id))
    ).all()
    sectors_of: dict[int, list[int]] = defaultdict(list)
    if requests:
        for request_id, sector_id in session.exec(
            select(MeetingRequestSector.request_id, MeetingRequestSector.sector_id)
            .where(col(MeetingRequestSector.request_id).in_([r.id for r in requests]))
            .order_by(col(MeetingRequestSector.sector_id))
        ).all():
            sectors_of[request_id].append(sector_id)

    delegation_ids = set(
        session.exec(
            select(EditionDelegation.delegation_id).where(
                EditionDelegation.edition_id == edition.id
            )
        ).all()
    ) | {r.delegation_id for r in requests}
    sector_ids = (
        set(
            session.exec(
                select(EditionSector.sector_id).where(EditionSector.edition_id == edition.id)
            ).all()
        )
        | {s for ids in sectors_of.values() for s in ids}
        | {r.reserved_sector_id for r in rooms if r.reserved_sector_id is not None}
    )
    delegations = session.exec(
        select(Delegation)
        .where(col(Delegation.id).in_(delegation_ids))
        .order_by(col(Delegation.id))
    ).all()
    sectors = session.exec(
        select(Sector).where(col(Sector.id).in_(sector_ids)).order_by(col(Sector.id))
    ).all()

    unavailable: dict[str, set[int]] = defaultdict(set)
    for u in session.exec(select(Unavailability).where(Unavailability.edition_id == edition.id)):
        key = f"delegation:{u.delegation_id}" if u.delegation_id else f"sector:{u.sector_id}"
        for i, (start, end) in enumerate(slots):
            if start < u.ends_at and u.starts_at < end:
                unavailable[key].add(i)

    parties = [
        solver.Party(
            id=f"delegation:{d.id}",
            kind="delegation",
            name=d.code,
            unavailable=sorted(unavailable[f"delegation:{d.id}"]),
        )
        for d in delegations
    ] + [
        solver.Party(
            id=f"sector:{s.id}",
            kind="sector",
            name=s.code,
            unavailable=sorted(unavailable[f"sector:{s.id}"]),
        )
        for s in sectors
    ]
    solver_rooms = [
        solver.Room(
            id=room_key(r.id),
            capacity=r.capacity,
            reserved_for=f"sector:{r.reserved_sector_id}" if r.reserved_sector_id else None,
        )
        for r in rooms
    ]
    slot_by_local = {
        (
            start.astimezone(ZoneInfo(edition.timezone)).date(),
            start.astimezone(ZoneInfo(edition.timezone)).time(),
        ): i
        for i, (start, _end) in enumerate(slots)
    }
    solver_requests = []
    for r in requests:
        pin = None
        if r.pin_date is not None and r.pin_start_time is not None:
            slot = slot_by_local.get((r.pin_date, r.pin_start_time))
            if slot is None:
                raise Conflict(
                    f"La solicitud {r.id} está fijada a un horario ({r.pin_date:%d/%m/%Y} "
                    f"{r.pin_start_time:%H:%M}) que ya no está en la grilla de bilaterales."
                )
            pin = solver.Pin(slot=slot, room=room_key(r.pin_room_id) if r.pin_room_id else None)
        solver_requests.append(
            solver.MeetingRequest(
                id=request_key(r.id),
                parties=[f"delegation:{r.delegation_id}"]
                + [f"sector:{s}" for s in sectors_of[r.id]],
                weight=r.weight,
                mandatory=r.mandatory,
                duration=r.duration_slots,
                attendees=r.attendees,
                pin=pin,
            )
        )
    party_codes = {p.id: p.name or p.id for p in parties}
    slot_map = SlotMap(
        slots=slots,
        durations={q.id: q.duration for q in solver_requests},
        party_codes=party_codes,
        request_parties={q.id: list(q.parties) for q in solver_requests},
    )
    prev = slot_map.previous(previous) if previous is not None else None
    instance = solver.Instance(
        name=f"edition-{edition.id}",
        grid=grid,
        rooms=solver_rooms,
        parties=parties,
        requests=solver_requests,
        options=solver_options(options_in, prev),
    )
    return instance, slot_map
