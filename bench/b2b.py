"""The public B2B meeting-scheduling benchmark (MiniZinc `.dzn` files) and its adapter.

The ``.dzn`` files are read at run time from a folder given on the command line or in the
``ARTICULA_B2B_DIR`` environment variable (`B2B_DIR_ENV`); they belong to the University of Girona
group (Bofill et al., JAIR 74, 2022) and are never copied into this repository.

Numbering: the files are 1-based (participants, meetings, slots); the solver is 0-based for slots
and uses string ids (``p<i>`` for participant ``i``, ``m<j>`` for meeting ``j``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from solver.models import (
    Block,
    Day,
    Instance,
    MeetingRequest,
    Options,
    Party,
    Pin,
    Room,
    Solution,
    TimeGrid,
)

B2B_DIR_ENV = "ARTICULA_B2B_DIR"
SUFFIX = ".original.dzn"

# Known optimal total breaks (fairness d = 2) and the best published time to proven optimum
# (MaxSAT, UWrMaxSat "imp12+", Xeon E3-1220v2), from the benchmark README / Bofill et al. 2022.
KNOWN_OPTIMA: dict[str, int] = {
    "forum-13": 0,
    "forum-13crafb": 6,
    "forum-13crafc": 1,
    "forum-14": 2,
    "forumt-14": 5,
    "forumt-14crafc": 5,
    "forumt-14crafd": 4,
    "forumt-14crafe": 5,
    "tic-12": 0,
    "tic-12crafc": 0,
    "tic-13": 0,
    "tic-13crafb": 0,
    "tic-13crafc": 4,
    "tic-14crafa": 0,
    "tic-14crafc": 0,
    "tic-14crafd": 0,
    "ticf-13crafa": 0,
    "ticf-13crafb": 3,
    "ticf-13crafc": 1,
    "ticf-14crafa": 0,
}
MAXSAT_SECONDS: dict[str, float] = {
    "forum-13": 2.5,
    "forum-13crafb": 23.3,
    "forum-13crafc": 2.3,
    "forum-14": 5.1,
    "forumt-14": 0.5,
    "forumt-14crafc": 0.9,
    "forumt-14crafd": 0.4,
    "forumt-14crafe": 0.6,
    "tic-12": 0.1,
    "tic-12crafc": 0.3,
    "tic-13": 0.4,
    "tic-13crafb": 0.4,
    "tic-13crafc": 5.8,
    "tic-14crafa": 1.0,
    "tic-14crafc": 0.8,
    "tic-14crafd": 0.8,
    "ticf-13crafa": 2.2,
    "ticf-13crafb": 22.3,
    "ticf-13crafc": 3.7,
    "ticf-14crafa": 7.6,
}
FAIRNESS = 2  # breaks(p) - min_q breaks(q) <= 2


# --------------------------------------------------------------------------- MiniZinc data


class DznError(ValueError):
    """The file is not the MiniZinc data subset this benchmark uses."""


_TOKEN = re.compile(r"\s*(\.\.|\[\||\|\]|-?\d+|[\[\]{}|,]|true|false)")


def _parse_value(text: str) -> Any:
    """Parse a MiniZinc data value: int, bool, set {..} (ranges a..b allowed), array [..],
    2-D array [| a, b | c, d |] (returned as a list of rows)."""
    tokens: list[str] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise DznError(f"unexpected text {text[pos : pos + 20]!r}")
        tokens.append(m.group(1))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    i = 0

    def atom() -> Any:
        nonlocal i
        tok = tokens[i]
        if tok == "{":
            i += 1
            out: list[int] = []
            while tokens[i] != "}":
                lo = int(tokens[i])
                i += 1
                if tokens[i] == "..":
                    hi = int(tokens[i + 1])
                    out.extend(range(lo, hi + 1))
                    i += 2
                else:
                    out.append(lo)
                if tokens[i] == ",":
                    i += 1
            i += 1
            return sorted(set(out))
        if tok == "[|":
            i += 1
            rows: list[list[Any]] = []
            row: list[Any] = []
            while tokens[i] != "|]":
                if tokens[i] == "|":
                    rows.append(row)
                    row = []
                    i += 1
                    continue
                if tokens[i] == ",":
                    i += 1
                    continue
                row.append(atom())
            i += 1
            if row:
                rows.append(row)
            return rows
        if tok == "[":
            i += 1
            items: list[Any] = []
            while tokens[i] != "]":
                if tokens[i] == ",":
                    i += 1
                    continue
                items.append(atom())
            i += 1
            return items
        if tok in ("true", "false"):
            i += 1
            return tok == "true"
        i += 1
        return int(tok)

    value = atom()
    if i != len(tokens):
        raise DznError(f"trailing tokens {tokens[i : i + 5]}")
    return value


def parse_dzn_text(text: str) -> dict[str, Any]:
    """Every `name = value;` assignment of a MiniZinc data file (comments removed)."""
    text = re.sub(r"%[^\n]*", "", text)
    out: dict[str, Any] = {}
    for statement in text.split(";"):
        if not statement.strip():
            continue
        name, sep, value = statement.partition("=")
        if not sep:
            raise DznError(f"not an assignment: {statement.strip()[:40]!r}")
        out[name.strip()] = _parse_value(value)
    return out


# --------------------------------------------------------------------------- B2B instance


@dataclass
class B2BInstance:
    """One benchmark file, 1-based as in the file; the sentinel/padding values removed."""

    name: str
    n_business: int
    n_meetings: int
    n_tables: int
    n_total_slots: int
    n_morning_slots: int
    requested: list[tuple[int, int, int]]  # (participant, participant, 1 am / 2 pm / 3 any)
    meetings_x_business: list[list[int]]  # per participant: its meeting ids (1-based)
    n_meetings_business: list[int]
    forbidden: list[list[int]]  # per participant: forbidden slots (1-based)
    fixed: list[int] = field(default_factory=list)  # per meeting: 0 free or slot (1-based)
    precedences: list[list[int]] = field(default_factory=list)  # per meeting: meetings before it

    @property
    def n_afternoon_slots(self) -> int:
        return self.n_total_slots - self.n_morning_slots

    def problems(self) -> list[str]:
        """Internal consistency of the file (header counts, both participant views agree)."""
        out: list[str] = []
        if len(self.requested) != self.n_meetings:
            out.append(f"requested has {len(self.requested)} rows, nMeetings={self.n_meetings}")
        for name, seq in (
            ("meetingsxBusiness", self.meetings_x_business),
            ("nMeetingsBusiness", self.n_meetings_business),
            ("forbidden", self.forbidden),
        ):
            if len(seq) != self.n_business:
                out.append(f"{name} has {len(seq)} entries, nBusiness={self.n_business}")
        for name, seq in (("fixed", self.fixed), ("precedences", self.precedences)):
            if len(seq) != self.n_meetings:
                out.append(f"{name} has {len(seq)} entries, nMeetings={self.n_meetings}")
        derived: list[list[int]] = [[] for _ in range(self.n_business)]
        for m, (a, b, s) in enumerate(self.requested, start=1):
            if not (1 <= a <= self.n_business and 1 <= b <= self.n_business) or a == b:
                out.append(f"meeting {m}: bad participants {a}, {b}")
                continue
            if s not in (1, 2, 3):
                out.append(f"meeting {m}: bad session {s}")
            derived[a - 1].append(m)
            derived[b - 1].append(m)
        for p, (listed, n, mine) in enumerate(
            zip(self.meetings_x_business, self.n_meetings_business, derived, strict=False),
            start=1,
        ):
            if sorted(listed) != sorted(mine):
                out.append(f"participant {p}: meetingsxBusiness disagrees with requested")
            if n != len(mine):
                out.append(f"participant {p}: nMeetingsBusiness={n}, requested has {len(mine)}")
        for p, slots in enumerate(self.forbidden, start=1):
            if any(not 1 <= t <= self.n_total_slots for t in slots):
                out.append(f"participant {p}: forbidden slot outside 1..{self.n_total_slots}")
        for m, t in enumerate(self.fixed, start=1):
            if t and not 1 <= t <= self.n_total_slots:
                out.append(f"meeting {m}: fixed slot {t} outside the grid")
        for m, before in enumerate(self.precedences, start=1):
            if any(not 1 <= j <= self.n_meetings or j == m for j in before):
                out.append(f"meeting {m}: bad precedence {before}")
        if not 0 <= self.n_morning_slots <= self.n_total_slots:
            out.append("nMorningSlots outside 0..nTotalSlots")
        return out


def parse_b2b_text(text: str, name: str = "b2b") -> B2BInstance:
    data = parse_dzn_text(text)
    required = (
        "nBusiness",
        "nMeetings",
        "nTables",
        "nTotalSlots",
        "nMorningSlots",
        "requested",
        "meetingsxBusiness",
        "nMeetingsBusiness",
        "forbidden",
    )
    missing = [k for k in required if k not in data]
    if missing:
        raise DznError(f"{name}: missing fields {missing}")
    n_meetings = int(data["nMeetings"])
    rows = data["requested"]
    if any(len(r) != 3 for r in rows):
        raise DznError(f"{name}: every requested row needs 3 values")
    # meetingsxBusiness stores meeting id + 1, with 1 as the padding sentinel of every set.
    mxb = [[v - 1 for v in s if v != 1] for s in data["meetingsxBusiness"]]
    forbidden = [[t for t in s if t != 0] for s in data["forbidden"]]
    fixed = [int(t) for t in data.get("fixed", [0] * n_meetings)]
    precedences = [list(s) for s in data.get("precedences", [[] for _ in range(n_meetings)])]
    return B2BInstance(
        name=name,
        n_business=int(data["nBusiness"]),
        n_meetings=n_meetings,
        n_tables=int(data["nTables"]),
        n_total_slots=int(data["nTotalSlots"]),
        n_morning_slots=int(data["nMorningSlots"]),
        requested=[(int(a), int(b), int(s)) for a, b, s in rows],
        meetings_x_business=mxb,
        n_meetings_business=[int(v) for v in data["nMeetingsBusiness"]],
        forbidden=forbidden,
        fixed=fixed,
        precedences=precedences,
    )


def instance_name(path: Path) -> str:
    name = path.name
    return name[: -len(SUFFIX)] if name.endswith(SUFFIX) else path.stem


def parse_b2b(path: Path | str) -> B2BInstance:
    path = Path(path)
    return parse_b2b_text(path.read_text(), instance_name(path))


def list_instances(directory: Path | str, only: Iterable[str] = ()) -> list[Path]:
    directory = Path(directory)
    files = sorted(directory.glob("*.dzn"))
    wanted = set(only)
    if wanted:
        unknown = wanted - {instance_name(f) for f in files}
        if unknown:
            raise FileNotFoundError(f"no such instances in {directory}: {sorted(unknown)}")
        files = [f for f in files if instance_name(f) in wanted]
    return files


# --------------------------------------------------------------------------- adapter


def b2b_options(time_limit_s: float = 60.0, workers: int = 2, seed: int = 0) -> Options:
    return Options(
        stages=["weight", "breaks"],  # weight is trivial: every meeting is mandatory
        fairness=False,
        break_parties="all",
        break_fairness=FAIRNESS,
        breaks_span_blocks=True,
        time_limit_s=time_limit_s,
        workers=workers,
        seed=seed,
    )


def to_instance(b2b: B2BInstance, options: Options | None = None) -> Instance:
    """One day, blocks "am" (nMorningSlots, morning) and "pm" (the rest, afternoon); a block with
    no slot is left out (several files are morning-only). nTables identical rooms."""
    blocks: list[Block] = []
    if b2b.n_morning_slots > 0:
        blocks.append(Block(id="am", slots=b2b.n_morning_slots, tag="morning", start="09:00"))
    if b2b.n_afternoon_slots > 0:
        blocks.append(Block(id="pm", slots=b2b.n_afternoon_slots, tag="afternoon", start="15:00"))
    block_ids = {b.id for b in blocks}
    grid = TimeGrid(slot_minutes=20, days=[Day(id="day1", blocks=blocks)])
    rooms = [Room(id=f"t{k}") for k in range(1, b2b.n_tables + 1)]
    parties = [
        Party(id=f"p{p}", kind="other", unavailable=sorted(t - 1 for t in slots))
        for p, slots in enumerate(b2b.forbidden, start=1)
    ]
    requests: list[MeetingRequest] = []
    for m, (a, b, s) in enumerate(b2b.requested, start=1):
        allowed = {1: ["am"], 2: ["pm"], 3: None}[s]
        if allowed is not None and allowed[0] not in block_ids:
            raise ValueError(f"{b2b.name}: meeting {m} needs block {allowed[0]}, which is empty")
        fixed = b2b.fixed[m - 1] if b2b.fixed else 0
        requests.append(
            MeetingRequest(
                id=f"m{m}",
                parties=[f"p{a}", f"p{b}"],
                weight=1,
                mandatory=True,
                allowed_blocks=allowed,
                pin=Pin(slot=fixed - 1) if fixed else None,
                after=[f"m{j}" for j in (b2b.precedences[m - 1] if b2b.precedences else [])],
            )
        )
    return Instance(
        name=b2b.name,
        grid=grid,
        rooms=rooms,
        parties=parties,
        requests=requests,
        options=options or b2b_options(),
    )


# --------------------------------------------------------------------------- B2B-native check


@dataclass
class B2BCheck:
    ok: bool
    violations: list[str]
    breaks: int
    breaks_by_participant: list[int]


def check_b2b(b2b: B2BInstance, slot_of: dict[int, int]) -> B2BCheck:
    """Check a schedule (meeting -> slot, both 1-based) against the file itself, independently of
    the adapter and of the product validator. Breaks: maximal idle runs between two meetings of a
    participant (across the morning/afternoon boundary too)."""
    v: list[str] = []
    missing = [m for m in range(1, b2b.n_meetings + 1) if m not in slot_of]
    if missing:
        v.append(f"{len(missing)} meetings unscheduled, e.g. {missing[:5]}")
    extra = [m for m in slot_of if not 1 <= m <= b2b.n_meetings]
    if extra:
        v.append(f"unknown meetings {extra[:5]}")
    per_slot: dict[int, int] = {}
    busy: list[list[int]] = [[] for _ in range(b2b.n_business)]
    for m, t in slot_of.items():
        if not 1 <= m <= b2b.n_meetings:
            continue
        if not 1 <= t <= b2b.n_total_slots:
            v.append(f"meeting {m}: slot {t} outside 1..{b2b.n_total_slots}")
            continue
        a, b, s = b2b.requested[m - 1]
        if s == 1 and t > b2b.n_morning_slots:
            v.append(f"meeting {m}: morning only, got slot {t}")
        if s == 2 and t <= b2b.n_morning_slots:
            v.append(f"meeting {m}: afternoon only, got slot {t}")
        for p in (a, b):
            if t in b2b.forbidden[p - 1]:
                v.append(f"meeting {m}: slot {t} forbidden for participant {p}")
            busy[p - 1].append(t)
        per_slot[t] = per_slot.get(t, 0) + 1
        if b2b.fixed and b2b.fixed[m - 1] and b2b.fixed[m - 1] != t:
            v.append(f"meeting {m}: fixed to {b2b.fixed[m - 1]}, got {t}")
        if b2b.precedences:
            for j in b2b.precedences[m - 1]:
                if j in slot_of and not slot_of[j] < t:
                    v.append(f"meeting {m} at {t} must come after meeting {j} at {slot_of[j]}")
    for t, n in sorted(per_slot.items()):
        if n > b2b.n_tables:
            v.append(f"slot {t}: {n} meetings, only {b2b.n_tables} tables")
    by_p: list[int] = []
    for p, slots in enumerate(busy, start=1):
        if len(set(slots)) != len(slots):
            v.append(f"participant {p}: two meetings in one slot")
        ordered = sorted(set(slots))
        by_p.append(sum(1 for x, y in zip(ordered, ordered[1:], strict=False) if y > x + 1))
    if by_p and max(by_p) - min(by_p) > FAIRNESS:
        v.append(f"fairness: breaks range {min(by_p)}..{max(by_p)} exceeds {FAIRNESS}")
    return B2BCheck(not v, v, sum(by_p), by_p)


# --------------------------------------------------------------------------- solution files


def slots_from_solution(solution: Solution) -> dict[int, int]:
    """Solver assignments (request "m<j>", 0-based slot) -> file numbering {j: slot + 1}."""
    return {int(a.request.removeprefix("m")): a.slot + 1 for a in solution.assignments}


def solution_record(name: str, solution: Solution, breaks: int | None = None) -> dict[str, Any]:
    slots = slots_from_solution(solution)
    return {
        "instance": name,
        "status": str(solution.status),
        "breaks": solution.breaks if breaks is None else breaks,
        "seconds": round(solution.seconds, 3),
        "assignments": [{"meeting": m, "slot": t} for m, t in sorted(slots.items())],
    }


def write_solution_file(
    out_dir: Path | str, name: str, solution: Solution, breaks: int | None = None
) -> Path:
    """Write OUT/<instance>.json in the file's own 1-based numbering."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.json"
    path.write_text(json.dumps(solution_record(name, solution, breaks), indent=1) + "\n")
    return path


def read_solution_file(path: Path | str) -> dict[str, Any]:
    """The record back, with `slot_of` = {meeting: slot} (1-based) added for `check_b2b`."""
    record = json.loads(Path(path).read_text())
    record["slot_of"] = {int(a["meeting"]): int(a["slot"]) for a in record["assignments"]}
    return record
