"""The breaks stage as maximum satisfiability, for a fixed set of one-slot meetings.

A linear UNSAT-SAT search on CaDiCaL proves lower bounds on the breaks that CP-SAT's search
does not reach in its time, and finds schedules at them: "at most K gap starts" for K = 0,
1, ...; each K refuted is a proven bound, the first K satisfied is the optimum. It runs
beside CP-SAT's search (breaks/race.py), which stays stronger where the LP of the
crowded-interval cuts gives the bound. CaDiCaL holds the GIL and cannot be interrupted, so
it runs in a child process (breaks/sat_child.py), killed to stop it.

It applies where every request is mandatory (the set to place is fixed) and is a meeting
of two parties for one slot, with pooled rooms (`SUPPORTS`): the B2B events' shape.
The formula, every request scheduled once:

* `x[r, s]`: request r starts at slot s, over its candidate starts; exactly one per request.
* `busy[p, t]`: the OR of p's `x` at t, of which at most one holds (no overlap).
* rooms: per slot and nested room class j, the meetings of classes <= j at most its rooms.
* implied: a counted party's busy slots number its meetings, which CaDiCaL needs to refute
  small totals quickly.
* gap start `g[p, t]` <- busy at t-1, idle at t and busy again later in the segment (a
  "later" chain per segment); the search counts the `g` that hold.
* precedence: a request after another never starts at or before its start.
* fairness: with `limit` d, at most d gap starts per counted party (the restricted model
  of breaks.search_breaks: min_breaks = 0).
"""

from __future__ import annotations

import pickle
import subprocess
import sys
import threading
from collections import defaultdict
from pathlib import Path

from pysat.card import CardEnc, EncType

from ..features import Feature
from ..model import Built, counted_parties

# The formula schedules every request (so none may be optional) as a meeting of two
# parties for one slot, over its candidate starts, with pooled rooms counted per slot;
# a precedence, binding since both requests are scheduled, forbids each pair of starts out
# of order.
SUPPORTS = frozenset(
    {
        Feature.PRECEDENCE,
        Feature.TIME_WINDOWS,
        Feature.UNAVAILABILITY,
        Feature.PINNED_SLOTS,
        Feature.PINNED_ROOMS,
        Feature.ROOM_CLASSES,
        Feature.BREAK_FAIRNESS,
    }
)


def applies(b: Built) -> bool:
    """The instance's features are supported and some party's breaks are counted."""
    return b.features <= SUPPORTS and bool(counted_parties(b.prep, b.options.break_parties))


class _Formula:
    """Variables numbered from 1, clauses, the gap starts and the meaning of each `x`."""

    def __init__(self) -> None:
        self.top = 0
        self.clauses: list[list[int]] = []
        self.gaps: list[int] = []
        self.start_of: dict[int, tuple[int, int]] = {}  # x variable -> (request, slot)

    def new(self) -> int:
        self.top += 1
        return self.top

    def add(self, clauses: list[list[int]]) -> None:
        self.clauses.extend(clauses)

    def at_most(self, lits: list[int], k: int, kind: int = EncType.seqcounter) -> None:
        if len(lits) > k:
            enc = CardEnc.atmost(lits=lits, bound=k, top_id=self.top, encoding=kind)
            self.add(enc.clauses)
            self.top = max(self.top, enc.nv)

    def equals(self, lits: list[int], k: int, kind: int = EncType.seqcounter) -> None:
        if k > len(lits):  # cannot hold: the formula has no model
            v = self.new()
            self.add([[v], [-v]])
            return
        enc = CardEnc.equals(lits=lits, bound=k, top_id=self.top, encoding=kind)
        self.add(enc.clauses)
        self.top = max(self.top, enc.nv)


def formula(b: Built, limit: int | None) -> _Formula:
    """The breaks stage of `b` with every request scheduled (see the module docstring)."""
    reqs, prep = b.inst.requests, b.prep
    f = _Formula()
    x: dict[tuple[int, int], int] = {}
    for r in range(len(reqs)):
        for s in sorted(b.y[r]):
            x[r, s] = f.new()
            f.start_of[x[r, s]] = (r, s)
        f.equals([x[r, s] for s in sorted(b.y[r])], 1, EncType.ladder)

    at: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    by_slot: dict[int, list[tuple[int, int]]] = defaultdict(list)  # slot -> (class, x)
    for (r, s), lit in x.items():
        by_slot[s].append((prep.room_class[r], lit))
        for p in reqs[r].parties:
            at[p][s].append(lit)
    counted = set(counted_parties(b.prep, b.options.break_parties))
    busy: dict[str, dict[int, int]] = {}
    for p, slots in at.items():
        for lits in slots.values():
            f.at_most(lits, 1, EncType.ladder)
        if p not in counted:
            continue
        busy[p] = {}
        for t, lits in slots.items():
            busy[p][t] = u = f.new()
            f.add([[-lit, u] for lit in lits] + [[-u, *lits]])
        f.equals(list(busy[p].values()), len(b.party_requests[p]))

    index = {req.id: r for r, req in enumerate(reqs)}
    for r, req in enumerate(reqs):
        for other in req.after:
            q = index[other]
            f.add([[-x[r, s], -x[q, s2]] for s in b.y[r] for s2 in b.y[q] if s2 >= s])

    for held in by_slot.values():
        for j, cap in enumerate(prep.room_caps):
            f.at_most([lit for c, lit in held if c <= j], cap)

    for p in sorted(busy):
        gaps: list[int] = []
        for seg in prep.segments(b.options.breaks_span_blocks):
            gaps += _gap_starts(f, busy[p], seg)
        f.gaps += gaps
        if limit is not None:
            f.at_most(gaps, limit)
    return f


def _gap_starts(f: _Formula, busy: dict[int, int], seg: range) -> list[int]:
    """Literals forced true by each gap start of one party inside one segment."""
    later: dict[int, int] = {}
    for t in reversed(seg):
        later[t] = f.new()
        if t in busy:
            f.add([[-busy[t], later[t]]])
        if t + 1 in later:
            f.add([[-later[t + 1], later[t]]])
    gaps = []
    for t in range(seg.start + 1, seg.stop - 1):
        if t - 1 not in busy or t + 1 not in later:
            continue
        g = f.new()
        idle_now = [busy[t]] if t in busy else []
        f.add([[-busy[t - 1], *idle_now, -later[t + 1], g]])
        gaps.append(g)
    return gaps


class Search:
    """Linear UNSAT-SAT search of `b`'s breaks stage on CaDiCaL in a child process
    (solver/breaks/sat_child.py): "at most K breaks" for K = `first` (a proven bound), `first` + 1,
    ... until a schedule is found; each refuted K is a proven bound. `run` in a thread (it
    waits on the child's pipe, not holding the GIL), `interrupt` from another."""

    SPAN = 24  # totals tried above `first`: the totalizer grows with it

    def __init__(self, b: Built, limit: int | None, seconds: float, first: int = 0) -> None:
        self._b, self._limit, self._seconds = b, limit, seconds
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._interrupted = False
        # proven lower bound on the breaks, safe to read while `run` goes on; the optimum once
        # `run` returns a schedule
        self.bound = first

    def run(self) -> dict[int, int] | None:
        """Request -> start slot at the optimum; None when interrupted first (`bound`
        holds) or when no schedule keeps the limit."""
        f = formula(self._b, self._limit)
        job = {
            "clauses": f.clauses,
            "counted": f.gaps,
            "top": f.top,
            "first": self.bound,
            "last": min(len(f.gaps), self.bound + self.SPAN),
            "cpu_seconds": self._seconds,
        }
        with self._lock:
            if self._interrupted:
                return None
            self._proc = subprocess.Popen(
                [sys.executable, "-P", str(Path(__file__).with_name("sat_child.py"))],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
        proc = self._proc
        assert proc.stdin is not None and proc.stdout is not None
        try:
            pickle.dump(job, proc.stdin)
            proc.stdin.close()
            while True:
                record = pickle.load(proc.stdout)
                if record[0] == "refuted":
                    self.bound = record[1] + 1
                elif record[0] == "model":
                    true = set(record[2])
                    return dict(f.start_of[v] for v in f.start_of if v in true)
                else:
                    return None
        except (OSError, EOFError, pickle.UnpicklingError):  # killed: `interrupt` or CPU limit
            return None
        finally:
            proc.kill()
            proc.wait()

    def interrupt(self) -> None:
        with self._lock:
            self._interrupted = True
            if self._proc is not None:
                self._proc.kill()
