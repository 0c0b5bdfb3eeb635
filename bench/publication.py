"""Publication benchmark: `python -m bench.publication [--meetings N --sectors S --delegations D]`.

A 7th-edition-size GORE Ejecutivo (1-2 Mar 2018: 196 bilaterals, 19 ministries, 26
delegations) on a temporary SQLite database built by the migrations. Measured:
1. publish: `publish_meetings` in one transaction (version + meetings + pointer + status)
   including queueing every e-mail, which renders each party's PDF and .ics (45 parties);
   `publish_write_lock` is the part from the transaction's first write to its commit;
2. render: every format (json, pdf, ics, xlsx, csv) of every sector and delegation agenda,
   plus every room's door sheet and the edition grid, from the database;
3. dispatch: every queued e-mail written as an .eml file (no SMTP server), exactly once.
Meeting placement is a deterministic round robin over the day's 21 bilateral slots (not a
solver result, so a delegation may meet two rooms at once); rendering cost does not depend
on it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event
from sqlmodel import Session, func, select

LIMA = ZoneInfo("America/Lima")
FIRST_DAY = dt.date(2018, 3, 1)
REGIONS = [
    "Amazonas", "Áncash", "Apurímac", "Arequipa", "Ayacucho", "Cajamarca", "Callao", "Cusco",
    "Huancavelica", "Huánuco", "Ica", "Junín", "La Libertad", "Lambayeque", "Lima Provincias",
    "Loreto", "Madre de Dios", "Moquegua", "Pasco", "Piura", "Puno", "San Martín", "Tacna",
    "Tumbes", "Ucayali", "Lima Metropolitana",
]  # fmt: skip
SECTORS = [
    "MINSA", "MINEDU", "MTC", "MVCS", "MINAGRI", "PRODUCE", "MINEM", "MINCETUR", "CULTURA",
    "MIDIS", "MINAM", "MTPE", "MINDEF", "MIMP", "MININTER", "MINJUS", "RREE", "MEF", "ARCC",
]  # fmt: skip


@dataclass
class Result:
    meetings: int
    sectors: int
    delegations: int
    timings: dict[str, float]
    counts: dict[str, int]
    bytes_by_format: dict[str, int]


def machine() -> str:
    return (
        f"{platform.system()} {platform.release()} {platform.machine()}, "
        f"os.cpu_count()={os.cpu_count()}, Python {platform.python_version()}"
    )


def _timed(timings: dict[str, float], name: str, fn: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    out = fn()
    timings[name] = time.perf_counter() - start
    return out


def build(session: Session, *, meetings: int, sectors: int, delegations: int) -> tuple[Any, list]:
    """Edition in scheduling with rooms, parties, topics, requests; returns (edition, plan)."""
    from app.editions.models import (
        DayBlock,
        Delegation,
        Edition,
        EditionDay,
        EditionDelegation,
        EditionSector,
        EditionStatus,
        Room,
        Sector,
    )
    from app.scheduling.models import MeetingRequest, MeetingRequestSector, MeetingRequestTopic
    from app.scheduling.plan import PlannedMeeting
    from app.submissions.models import Topic, TopicListVersion, TopicSector, TopicStatus

    edition = Edition(
        name="7.º GORE Ejecutivo", kind="GORE", venue="Centro de Convenciones de Lima",
        status=EditionStatus.scheduling,
    )  # fmt: skip
    session.add(edition)
    session.flush()
    day = EditionDay(edition_id=edition.id, date=FIRST_DAY, position=1)
    session.add(day)
    session.flush()
    session.add_all(
        [
            DayBlock(day_id=day.id, kind="bilateral", start_time=dt.time(10), end_time=dt.time(13)),
            DayBlock(day_id=day.id, kind="bilateral", start_time=dt.time(14), end_time=dt.time(18)),
        ]
    )
    slots = [dt.time(10 + i // 3, 20 * (i % 3)) for i in range(9)]
    slots += [dt.time(14 + i // 3, 20 * (i % 3)) for i in range(12)]
    secs = [
        Sector(code=c, name=f"Ministerio {c}", minister_name=f"Ministro(a) de {c}",
               contact_emails=[f"agenda@{c.lower()}.gob.pe"])
        for c in SECTORS[:sectors]
    ]  # fmt: skip
    dels = [
        Delegation(code=f"GR{i + 1:02d}", name=f"Gobierno Regional de {REGIONS[i % 26]}",
                   kind="regional_government", authority_title="governor",
                   authority_name=f"Gobernador(a) {i + 1}",
                   contact_emails=[f"enlace@gr{i + 1:02d}.gob.pe"])
        for i in range(delegations)
    ]  # fmt: skip
    session.add_all([*secs, *dels])
    session.flush()
    session.add_all(EditionSector(edition_id=edition.id, sector_id=s.id) for s in secs)
    session.add_all(EditionDelegation(edition_id=edition.id, delegation_id=d.id) for d in dels)
    rooms = [Room(edition_id=edition.id, name=f"Sala {i + 1}") for i in range(sectors)]
    session.add_all(rooms)
    now = dt.datetime(2018, 2, 1, tzinfo=dt.UTC)
    versions = [
        TopicListVersion(edition_id=edition.id, delegation_id=d.id, number=1,
                         submitted_at=now, submitted_by="bench")
        for d in dels
    ]  # fmt: skip
    session.add_all(versions)
    session.flush()
    plan = []
    for k in range(meetings):
        s, d = k % sectors, (k // sectors + 3 * (k % sectors)) % delegations
        sector, delegation, version = secs[s], dels[d], versions[d]
        request = MeetingRequest(edition_id=edition.id, delegation_id=delegation.id, weight=10)
        session.add(request)
        session.flush()
        session.add(MeetingRequestSector(request_id=request.id, sector_id=sector.id))
        for rank in (1, 2, 3):
            topic = Topic(
                version_id=version.id, edition_id=edition.id, delegation_id=delegation.id,
                position=k * 3 + rank, title=f"Proyecto {k}-{rank}: mejoramiento del servicio",
                description="Saldo de obra y equipamiento; se solicita la transferencia.",
                kind="investment_project", cui=f"{2000000 + k * 3 + rank:07d}",
                amount=Decimal("12345678.90"), status=TopicStatus.accepted,
            )  # fmt: skip
            session.add(topic)
            session.flush()
            session.add(TopicSector(topic_id=topic.id, sector_id=sector.id, rank=rank,
                                    submitted_rank=rank))  # fmt: skip
            session.add(MeetingRequestTopic(request_id=request.id, topic_id=topic.id))
        start = dt.datetime.combine(FIRST_DAY, slots[(k // sectors) % len(slots)], tzinfo=LIMA)
        plan.append(
            PlannedMeeting(request.id, rooms[s].id, start, start + dt.timedelta(minutes=20))
        )
    session.commit()
    return edition, plan


def run(*, meetings: int = 196, sectors: int = 19, delegations: int = 26) -> Result:
    """Build, publish, render and dispatch on a fresh temporary SQLite database."""
    import app.models  # noqa: F401
    from app.agendas import delivery, formats, service
    from app.core.config import Settings
    from app.core.db import make_engine
    from app.core.migrations import upgrade
    from app.editions.models import EditionDelegation, EditionSector, Room
    from app.mail.models import OutboxMessage
    from app.mail.service import dispatch_due
    from app.scheduling.versions import ScheduleVersion

    timings: dict[str, float] = {}
    counts: dict[str, int] = {}
    sizes: dict[str, int] = {f.value: 0 for f in formats.AgendaFormat}
    with tempfile.TemporaryDirectory(prefix="articula-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        _timed(timings, "migrate", lambda: upgrade(url))
        engine = make_engine(url)
        settings = Settings(database_url=url, outbox_dir=Path(tmp) / "outbox", _env_file=None)  # type: ignore[call-arg]
        try:
            with Session(engine, expire_on_commit=False) as session:
                edition, plan = _timed(
                    timings, "build_data",
                    lambda: build(session, meetings=meetings, sectors=sectors,
                                  delegations=delegations),
                )  # fmt: skip
                publish_at = dt.datetime(2018, 2, 24, 9, tzinfo=LIMA)  # inside the window

                def publish() -> Any:
                    version = delivery.publish_meetings(
                        session=session, edition=edition, meetings=plan, published_by="bench",
                        now=publish_at, settings=settings,
                    )  # fmt: skip
                    session.commit()
                    committed.append(time.perf_counter())
                    return version

                writes: list[float] = []
                committed: list[float] = []

                def first_write(conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
                    if not writes and statement.lstrip()[:6].upper() in ("INSERT", "UPDATE"):
                        writes.append(time.perf_counter())

                event.listen(engine, "before_cursor_execute", first_write)
                try:
                    _timed(timings, "publish_and_queue", publish)
                finally:
                    event.remove(engine, "before_cursor_execute", first_write)
                # from the transaction's first INSERT/UPDATE to its commit: how long SQLite's
                # write lock is held (other writers wait on the busy timeout meanwhile)
                timings["publish_write_lock"] = committed[0] - writes[0]
                counts["emails_queued"] = session.exec(
                    select(func.count()).select_from(OutboxMessage)
                ).one()
                version = session.exec(select(ScheduleVersion)).one()
                sector_ids = session.exec(
                    select(EditionSector.sector_id).where(EditionSector.edition_id == edition.id)
                ).all()
                delegation_ids = session.exec(
                    select(EditionDelegation.delegation_id).where(
                        EditionDelegation.edition_id == edition.id
                    )
                ).all()
                room_ids = session.exec(select(Room.id).where(Room.edition_id == edition.id)).all()

                def render_all() -> int:
                    ctx = service.load_context(session=session, edition=edition, version=version)
                    owners: list[tuple[str, int | None]] = [
                        *(("sector", i) for i in sector_ids),
                        *(("delegation", i) for i in delegation_ids),
                        *(("room", i) for i in room_ids),
                        ("edition", None),
                    ]
                    n = 0
                    for kind, owner_id in owners:
                        agenda = service.build_agenda(ctx, kind=kind, owner_id=owner_id)  # type: ignore[arg-type]
                        for fmt in formats.AgendaFormat:
                            sizes[fmt.value] += len(formats.render(agenda, fmt))
                            n += 1
                    counts["agendas"] = len(owners)
                    return n

                counts["documents_rendered"] = _timed(timings, "render_every_format", render_all)
            sent = _timed(
                timings, "dispatch_eml",
                lambda: dispatch_due(engine=engine, settings=settings, now=publish_at),
            )  # fmt: skip
            counts["emails_sent"] = sent
        finally:
            engine.dispose()
    return Result(meetings, sectors, delegations, timings, counts, sizes)


def report(result: Result) -> str:
    lines = [
        f"Publication benchmark: {result.meetings} bilaterals, {result.sectors} ministry "
        f"agendas, {result.delegations} delegation agendas (temp SQLite, migrations applied)",
        f"machine: {machine()}",
    ]
    for name, seconds in result.timings.items():
        lines.append(f"  {name:<22} {seconds:8.3f} s")
    for name, n in result.counts.items():
        lines.append(f"  {name:<22} {n:8d}")
    total = sum(result.bytes_by_format.values())
    per = ", ".join(f"{k} {v / 1024:.0f} KiB" for k, v in result.bytes_by_format.items())
    lines.append(f"  bytes rendered         {total / 1024:8.0f} KiB ({per})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> Result:
    parser = argparse.ArgumentParser(prog="python -m bench.publication", description=__doc__)
    parser.add_argument("--meetings", type=int, default=196)
    parser.add_argument("--sectors", type=int, default=19)
    parser.add_argument("--delegations", type=int, default=26)
    args = parser.parse_args(argv)
    result = run(meetings=args.meetings, sectors=args.sectors, delegations=args.delegations)
    print(report(result))
    return result


if __name__ == "__main__":
    main()
