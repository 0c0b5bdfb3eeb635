"""The breaks stage as maximum satisfiability, for a fixed set of one-slot meetings.

Core-guided MaxSAT (RC2 from python-sat, on Glucose 4) proves lower bounds on the breaks
that CP-SAT does not reach in its time: each unsatisfiable core is a set of gap starts of
which at least one must happen, and the bound rises by one per core (B2B forum-13crafc and
ticf-13crafc: proven alone in about 1 s and 2-4 s, unproven after 60 s of CP-SAT; BENCHMARKS.md). It
runs beside CP-SAT's search (solver/solve.py), which stays better elsewhere (tic-13crafc
owes its bound to the crowded cuts' LP).

It applies where every request is mandatory (the set to place is fixed) and is a meeting
of two parties for one slot, with pooled rooms: B2B's shape (the local search's,
solver/local.py, with pair meetings only).
The formula, every request scheduled once:

* `x[r, s]`: request r starts at slot s, over its candidate starts; exactly one per request.
* `busy[p, t]`: the OR of p's `x` at t, of which at most one holds (no overlap).
* rooms: per slot and nested room class j, the meetings of classes <= j at most its rooms.
* implied: a counted party's busy slots number its meetings. (The implied count per slot,
  busy parties = 2 x meetings, by two-way totalizers, made RC2 no faster: BENCHMARKS.md.)
* gap start `g[p, t]` <- busy at t-1, idle at t and busy again later in the segment (a
  "later" chain per segment); each `not g[p, t]` is a soft clause of weight 1.
* fairness: with `limit` d, at most d gap starts per counted party (the restricted model
  of solve._search_breaks: min_breaks = 0).
"""

from __future__ import annotations

import threading
from collections import defaultdict

from pysat.card import CardEnc, EncType
from pysat.examples.rc2 import RC2
from pysat.formula import WCNF

from .local import applies as local_applies
from .model import Built, counted_parties

# Glucose 4.1: interruptible, and ahead of MapleChrono on B2B (bounds 2-5 where MapleChrono
# stayed at 0); CaDiCaL was faster on tic-14crafc but python-sat cannot interrupt it
# (BENCHMARKS.md)
SAT_SOLVER = "g4"


def applies(b: Built) -> bool:
    """One-slot pair meetings, pooled rooms, breaks counted, every request mandatory.

    Pair meetings: on GORE's scheduled sets made mandatory (meetings of up to three
    parties) RC2's bound stayed 0 after 30 s, and the race took a core from CP-SAT, which
    then proved them in 3.8-5.1 s instead of 2.3-2.5 s (BENCHMARKS.md)."""
    reqs = b.inst.requests
    return local_applies(b) and all(req.mandatory and len(req.parties) == 2 for req in reqs)


class _Formula:
    """Variables numbered from 1, clauses, soft literals and the meaning of each `x`."""

    def __init__(self) -> None:
        self.top = 0
        self.wcnf = WCNF()
        self.start_of: dict[int, tuple[int, int]] = {}  # x variable -> (request, slot)

    def new(self) -> int:
        self.top += 1
        return self.top

    def add(self, clauses: list[list[int]]) -> None:
        self.wcnf.extend(clauses)

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
    counted = set(counted_parties(b.inst, b.options.break_parties))
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

    for held in by_slot.values():
        for j, cap in enumerate(prep.room_caps):
            f.at_most([lit for c, lit in held if c <= j], cap)

    for p in sorted(busy):
        gaps: list[int] = []
        for seg in prep.segments(b.options.breaks_span_blocks):
            gaps += _gap_starts(f, busy[p], seg)
        f.wcnf.extend([[-g] for g in gaps], weights=[1] * len(gaps))
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


class _CoreGuided(RC2):
    """RC2 whose every SAT call can be interrupted (and lets other threads run), with a
    lower bound `proven` that is safe to read while it runs: it rises only after a core
    that no interruption touched."""

    proven = 0

    def _call_oracle(self, assumptions: list[int] = [], expect_interrupt: bool = False):  # noqa: B006
        return self.oracle.solve_limited(assumptions=assumptions, expect_interrupt=True)

    def interrupt(self) -> None:
        # the flag first: a SAT call it cuts short (within core trimming or exhaustion
        # too, whose caller takes it for "unsatisfiable") is then never counted in `proven`
        self.interrupted = True
        super().interrupt()

    def trim_core(self) -> None:
        # RC2's own, except that a call with no core (None: the hard clauses alone are
        # unsatisfiable, or the call was cut short) empties the core instead of failing
        for _ in range(self.trim):
            self._call_oracle(assumptions=self.core)
            new_core = self.oracle.get_core()
            if not new_core:
                self.core = []
                return
            if len(new_core) == len(self.core):
                return
            self.core = new_core

    def compute_(self) -> bool | None:
        if self.adapt:
            self.adapt_am1()
        while not self.interrupted:
            sat = self._call_oracle(self.active_assumps())
            if sat is None or self.interrupted:
                return None
            if sat:
                return True
            self.get_core()
            if not self.core:
                return False  # the hard clauses alone are unsatisfiable
            self.process_core()
            if not self.interrupted:
                self.proven = self.cost
        return None


class Search:
    """The MaxSAT search of `b`'s breaks stage; `run` in a thread, `interrupt` from another."""

    def __init__(self, b: Built, limit: int | None) -> None:
        self._b, self._limit = b, limit
        self._lock = threading.Lock()
        self._rc2: _CoreGuided | None = None
        self._interrupted = False
        self.bound = 0  # proven lower bound on the breaks; the optimum once `run` returns one

    def run(self) -> dict[int, int] | None:
        """Request -> start slot at the optimum; None when interrupted first (`bound`
        holds) or when no schedule keeps the limit."""
        f = formula(self._b, self._limit)
        with self._lock:
            if self._interrupted:
                return None
            self._rc2 = _CoreGuided(
                f.wcnf, solver=SAT_SOLVER, adapt=True, exhaust=True, minz=True, trim=5
            )
        try:
            model = self._rc2.compute(expect_interrupt=True)
            self.bound = max(self.bound, self._rc2.proven)
            if model is None:
                return None
            self.bound = self._rc2.cost  # the optimum
            return dict(f.start_of[lit] for lit in model if lit in f.start_of)
        finally:
            with self._lock:
                self._rc2.delete()
                self._rc2 = None

    def proven_bound(self) -> int:
        """The proven bound so far (while `run` goes on)."""
        with self._lock:
            if self._rc2 is not None:
                self.bound = max(self.bound, self._rc2.proven)
            return self.bound

    def interrupt(self) -> None:
        with self._lock:
            self._interrupted = True
            if self._rc2 is not None:
                self._rc2.interrupt()
