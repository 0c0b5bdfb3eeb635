"""Local search on a schedule for fewer breaks (simulated annealing), for the breaks stage.

CP-SAT improves a schedule with many breaks slowly when the day is long and half empty
(the B2B events: first schedules with many times the optimum's breaks): there are many
ways to place each meeting and few of them change the objective. The move
is a Kempe chain, as in graph colouring and timetabling: one meeting goes to another slot,
the meetings its parties hold there come back to its old slot, theirs go over, and so on
(a free slot makes it a plain slide; two meetings of one party exchanging their slots is a
chain of two). The walk runs in a loop compiled by numba (`_anneal`), on arrays: each move
is cheap, and the search's strength is how many it tries.

It also polishes the min-cost-flow schedule of MUNI-shaped editions (solver/flow.py)
before CP-SAT sees it. It applies when every meeting lasts one slot, the rooms are pooled
(nested sets of fitting rooms, solver/prep.py: a slot holds at most |S_j| meetings whose
rooms lie in S_j), no precedence links two requests and no earlier plan is re-planned
(`SUPPORTS`).
Moves never change which requests are scheduled, so the weight and fairness stages keep
their values; they keep every hard rule (candidate starts only, no party in two meetings
at once, the rooms per slot) and the result is kept only when no counted party has more
than `max_breaks` breaks.

Cost of a counted party: idle slots inside its span in each segment plus GAP_WEIGHT per
break, and FAIRNESS_WEIGHT per break above `max_breaks`. Idle slots make the landscape
smooth: shortening a gap is progress before the gap closes.
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numba import njit

from ..features import Feature
from ..model import Built, counted_parties

GAP_WEIGHT = 2
FAIRNESS_WEIGHT = 20
T0 = 1.0  # initial temperature, falling linearly over the run
TIE = 0.3  # probability of taking a move that leaves the cost unchanged
CHAIN_MAX = 40  # meetings in one Kempe chain move
BALANCE_TRIES = 3  # chains added the other way when a slot of the move lacks rooms
PROBES = 64  # random looks for a meeting at a given slot
FOCUS = 10  # each sweep: the meetings of parties with a cost, and 1/FOCUS of all the others
ROUND_S = 0.01  # seconds of compiled search between two looks at the clock and at `stop`

Arr = np.ndarray  # the compiled functions take numpy arrays (see Board)

# _anneal's counters, in one array so that they survive from one round to the next
BREAKS, OVER, BEST_OVER, BEST_BREAKS, SWEEP_LEN, SWEEP_POS, TRIED = range(7)


# Moves keep the set of scheduled requests and each meeting's candidate starts, and count
# rooms per slot by nested room class: every rule that binds one request, pooled rooms,
# optional requests (the set stays), break fairness (`max_breaks`).
SUPPORTS = frozenset(
    {
        Feature.OPTIONAL_REQUESTS,
        Feature.GROUP_MEETINGS,
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


@dataclass
class Board:
    """A schedule as the arrays the compiled search works on. Meetings are numbered
    0..M-1 in the order of `requests`; parties 0..P-1 in the order of `party_ids`."""

    requests: list[int]  # meeting -> request index
    party_ids: list[str]
    slot: np.ndarray  # meeting -> slot
    party_ptr: np.ndarray  # the parties of meeting i: party_of[party_ptr[i]:party_ptr[i + 1]]
    party_of: np.ndarray
    at: np.ndarray  # [party, slot] -> meeting held there, or -1
    allowed: np.ndarray  # [meeting, slot] -> may start there
    cand_ptr: np.ndarray  # the candidate starts of meeting i: cand[cand_ptr[i]:cand_ptr[i + 1]]
    cand: np.ndarray
    room_class: np.ndarray  # meeting -> index in the nested room classes
    caps: np.ndarray  # class j -> rooms for the meetings of classes <= j
    count: np.ndarray  # [class j, slot] -> meetings of classes <= j there
    counted: np.ndarray  # party -> whether its breaks are counted
    seg_start: np.ndarray  # the slot ranges inside which breaks are counted
    seg_end: np.ndarray

    @classmethod
    def of(cls, b: Built, placed: dict[int, int]) -> Board:
        reqs = b.inst.requests
        room_class = b.prep.room_class
        requests = sorted(placed)
        party_ids = sorted({p for r in requests for p in reqs[r].parties})
        index = {p: k for k, p in enumerate(party_ids)}
        n = b.prep.n
        caps = b.prep.room_caps
        segments = b.prep.segments(b.options.breaks_span_blocks)
        counted = set(counted_parties(b.prep, b.options.break_parties))
        board = cls(
            requests=requests,
            party_ids=party_ids,
            slot=np.array([placed[r] for r in requests], dtype=np.int64),
            party_ptr=np.cumsum([0] + [len(reqs[r].parties) for r in requests], dtype=np.int64),
            party_of=np.array(
                [index[p] for r in requests for p in reqs[r].parties], dtype=np.int64
            ),
            at=np.full((len(party_ids), n), -1, dtype=np.int64),
            allowed=np.zeros((len(requests), n), dtype=np.bool_),
            cand_ptr=np.cumsum([0] + [len(b.y[r]) for r in requests], dtype=np.int64),
            cand=np.array([s for r in requests for s in b.y[r]], dtype=np.int64),
            room_class=np.array([room_class[r] for r in requests], dtype=np.int64),
            caps=np.array(caps, dtype=np.int64),
            count=np.zeros((len(caps), n), dtype=np.int64),
            counted=np.array([p in counted for p in party_ids], dtype=np.bool_),
            seg_start=np.array([seg.start for seg in segments], dtype=np.int64),
            seg_end=np.array([seg.stop for seg in segments], dtype=np.int64),
        )
        for i, r in enumerate(requests):
            assert room_class[r] >= 0, "pooled rooms give every request a class"
            board.allowed[i, list(b.y[r])] = True
            board.count[room_class[r] :, placed[r]] += 1
            for k in range(board.party_ptr[i], board.party_ptr[i + 1]):
                board.at[board.party_of[k], placed[r]] = i
        return board

    def placements(self, slots: np.ndarray) -> dict[int, int]:
        return {r: int(s) for r, s in zip(self.requests, slots, strict=True)}


def kempe_chain(board: Board, request: int, to: int) -> dict[int, int] | None:
    """Request -> new slot for the Kempe chain of `request` towards slot `to` (see
    _chain); None when a meeting of the chain may not take its new slot, or the chain
    passes CHAIN_MAX."""
    e = board.requests.index(request)
    members = np.empty(CHAIN_MAX, dtype=np.int64)
    targets = np.empty(CHAIN_MAX, dtype=np.int64)
    mark = np.zeros(len(board.requests), dtype=np.int64)
    size = _chain(
        e, board.slot[e], to, board.party_ptr, board.party_of, board.at, board.allowed,
        mark, 1, members, targets, 0,
    )  # fmt: skip
    if size < 0:
        return None
    return {board.requests[members[i]]: int(targets[i]) for i in range(size)}


def improve(
    b: Built,
    placed: dict[int, int],
    seconds: float,
    max_breaks: int | None,
    rng: random.Random,
    stop: Callable[[int | None], bool] = lambda breaks: breaks == 0,
) -> tuple[dict[int, int], int]:
    """The best schedule seen within `seconds` (never worse than `placed`) and its breaks.
    It stops early once `stop(best breaks)` holds (None while no schedule was fair): at
    a proven bound, say, which may rise meanwhile. -1 breaks when no schedule seen kept
    `max_breaks`: then `placed` comes back."""
    if not placed:
        return {}, 0
    board = Board.of(b, placed)
    limit = max_breaks if max_breaks is not None else 1 << 30
    best, breaks = _walk(board, seconds, limit, rng.getrandbits(31), stop)
    if breaks < 0:
        return dict(placed), -1
    return board.placements(best), breaks


def _walk(
    board: Board, seconds: float, limit: int, seed: int, stop: Callable[[int | None], bool]
) -> tuple[np.ndarray, int]:
    """The annealing walk from the board's schedule (see improve): the best slots seen and
    their breaks, -1 if none was fair. It calls the compiled search in rounds of about
    ROUND_S, looking at the clock and at `stop` in between."""
    start = time.perf_counter()
    cost = np.zeros(len(board.party_ids), dtype=np.int64)
    breaks = np.zeros(len(board.party_ids), dtype=np.int64)
    stats = np.zeros(7, dtype=np.int64)
    _start_costs(board.at, board.counted, board.seg_start, board.seg_end, limit, cost, breaks)
    stats[BREAKS] = breaks.sum()
    stats[OVER] = (breaks > limit).sum()
    stats[BEST_OVER], stats[BEST_BREAKS] = stats[OVER] > 0, stats[BREAKS]
    best = board.slot.copy()
    sweep = np.empty(2 * len(board.requests), dtype=np.int64)
    _seed(seed)
    tries = 256  # moves per round, adjusted so that a round lasts about ROUND_S
    while not stop(None if stats[BEST_OVER] else int(stats[BEST_BREAKS])):
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            break
        temperature = T0 * (1 - elapsed / seconds) + 0.02
        stats[TRIED] = 0
        _anneal(
            board.slot, board.party_ptr, board.party_of, board.at, board.allowed,
            board.cand_ptr, board.cand, board.room_class, board.caps, board.count,
            board.counted, board.seg_start, board.seg_end, cost, breaks, stats, sweep, best,
            temperature, limit, tries,
        )  # fmt: skip
        if stats[SWEEP_LEN] == 0:  # no meeting to move: no idle slot, no break
            break
        took = time.perf_counter() - start - elapsed
        tries = max(16, min(tries * 4, int(tries * ROUND_S / max(took, 1e-6))))
    return best, -1 if stats[BEST_OVER] else int(stats[BEST_BREAKS])


@functools.cache
def compile_kernels() -> None:
    """Compile the search (several seconds; numba keeps the machine code in __pycache__,
    so this happens once per install: `make install` does it) or load it, so that no
    solve's time limit pays for it. A walk on two meetings A-B and A-C, with the array
    types of Board.of (another type would compile the search again, inside a solve)."""
    n = 3

    def ints(values: list) -> np.ndarray:
        return np.array(values, dtype=np.int64)

    board = Board(
        requests=[0, 1],
        party_ids=["A", "B", "C"],
        slot=ints([0, 2]),
        party_ptr=ints([0, 2, 4]),
        party_of=ints([0, 1, 0, 2]),
        at=ints([[0, -1, 1], [0, -1, -1], [-1, -1, 1]]),
        allowed=np.ones((2, n), dtype=np.bool_),
        cand_ptr=ints([0, n, 2 * n]),
        cand=ints(list(range(n)) * 2),
        room_class=ints([0, 0]),
        caps=ints([1]),
        count=ints([[1, 0, 1]]),
        counted=np.ones(3, dtype=np.bool_),
        seg_start=ints([0]),
        seg_end=ints([n]),
    )
    _walk(board, 1.0, 1 << 30, 0, lambda breaks: breaks == 0)


@njit(cache=True, nogil=True)
def _seed(seed: int) -> None:
    np.random.seed(seed)


@njit(cache=True, nogil=True)
def _party_cost(
    p: int, at: Arr, seg_start: Arr, seg_end: Arr, c: int, c2: int, limit: int
) -> tuple[int, int]:
    """(cost, breaks) of party p, with its slots c and c2 exchanged (c = c2 = -1: as is)."""
    idle = 0
    gaps = 0
    for k in range(seg_start.shape[0]):
        first = -1
        last = -1
        ones = 0
        runs = 0
        before = False
        for s in range(seg_start[k], seg_end[k]):
            t = c2 if s == c else (c if s == c2 else s)
            busy = at[p, t] >= 0
            if busy:
                if first < 0:
                    first = s
                last = s
                ones += 1
                if not before:
                    runs += 1
            before = busy
        if ones:
            idle += last - first + 1 - ones
            gaps += runs - 1
    return idle + GAP_WEIGHT * gaps + FAIRNESS_WEIGHT * max(0, gaps - limit), gaps


@njit(cache=True, nogil=True)
def _start_costs(
    at: Arr, counted: Arr, seg_start: Arr, seg_end: Arr, limit: int, cost: Arr, breaks: Arr
) -> None:
    for p in range(at.shape[0]):
        if counted[p]:
            cost[p], breaks[p] = _party_cost(p, at, seg_start, seg_end, -1, -1, limit)


@njit(cache=True, nogil=True)
def _chain(
    e: int, c: int, c2: int, party_ptr: Arr, party_of: Arr, at: Arr, allowed: Arr,
    mark: Arr, stamp: int, members: Arr, targets: Arr, size: int,
) -> int:  # fmt: skip
    """The Kempe chain of meeting e (now at c) towards c2, appended to the `size` moves in
    members/targets: e moves to c2, the meetings its parties hold at c2 move to c, the
    meetings their parties hold at c move to c2, and so on; no party is then in two meetings
    at once. The new length, or -1 when a meeting may not take its new slot or the move
    passes CHAIN_MAX meetings. `mark[m] == stamp` marks the members."""
    first = size
    members[size] = e
    targets[size] = c2
    mark[e] = stamp
    size += 1
    i = first
    while i < size:
        r = members[i]
        to = targets[i]
        back = c if to == c2 else c2
        for k in range(party_ptr[r], party_ptr[r + 1]):
            f = at[party_of[k], to]
            if f < 0 or mark[f] == stamp:
                continue
            if not allowed[f, back] or size >= CHAIN_MAX:
                for k in range(first, size):  # not members after all
                    mark[members[k]] = 0
                return -1
            mark[f] = stamp
            members[size] = f
            targets[size] = back
            size += 1
        i += 1
    return size


@njit(cache=True, nogil=True)
def _overflow(
    members: Arr, targets: Arr, size: int, room_class: Arr, caps: Arr, count: Arr, c: int, c2: int
) -> int:
    """The slot, c or c2, that would lack rooms once the move is made; -1 if none."""
    moved = 0
    for j in range(caps.shape[0]):
        for i in range(size):  # classes <= j arriving at c, each one leaving c2
            if room_class[members[i]] == j:
                moved += 1 if targets[i] == c else -1
        if moved > 0 and count[j, c] + moved > caps[j]:
            return c
        if moved < 0 and count[j, c2] - moved > caps[j]:
            return c2
    return -1


@njit(cache=True, nogil=True)
def _meeting_at(s: int, slot: Arr, mark: Arr, stamp: int) -> int:
    """A meeting at slot s that is not marked, found by random probes; -1 if none is."""
    for _ in range(PROBES):
        m = np.random.randint(slot.shape[0])
        if slot[m] == s and mark[m] != stamp:
            return m
    return -1


@njit(cache=True, nogil=True)
def _new_sweep(party_ptr: Arr, party_of: Arr, cost: Arr, sweep: Arr, stats: Arr) -> None:
    """The meetings of parties with idle slots or breaks, in random order, then 1/FOCUS of
    all the meetings to diversify."""
    n_meetings = party_ptr.shape[0] - 1
    order = np.random.permutation(n_meetings)
    size = 0
    for e in order:
        for k in range(party_ptr[e], party_ptr[e + 1]):
            if cost[party_of[k]] > 0:
                sweep[size] = e
                size += 1
                break
    for i in range(n_meetings // FOCUS):
        sweep[size] = order[i]
        size += 1
    stats[SWEEP_LEN] = size
    stats[SWEEP_POS] = 0


@njit(cache=True, nogil=True)
def _anneal(
    slot: Arr, party_ptr: Arr, party_of: Arr, at: Arr, allowed: Arr, cand_ptr: Arr, cand: Arr,
    room_class: Arr, caps: Arr, count: Arr, counted: Arr, seg_start: Arr, seg_end: Arr,
    cost: Arr, breaks: Arr, stats: Arr, sweep: Arr, best: Arr, temperature: float,
    limit: int, tries: int,
) -> None:  # fmt: skip
    """`tries` chain moves of the annealing walk at `temperature`, from the state the arrays
    hold (see Board; cost and breaks per party, the counters in stats), which it updates;
    `best` gets the best schedule seen. It returns at once when there is nothing to move
    or no break is left."""
    n_meetings = slot.shape[0]
    n_parties = at.shape[0]
    mark = np.zeros(n_meetings, dtype=np.int64)
    seen = np.zeros(n_parties, dtype=np.int64)
    members = np.empty(CHAIN_MAX, dtype=np.int64)
    targets = np.empty(CHAIN_MAX, dtype=np.int64)
    changed = np.empty(n_parties, dtype=np.int64)
    new_cost = np.empty(n_parties, dtype=np.int64)
    new_breaks = np.empty(n_parties, dtype=np.int64)
    starts = np.empty(at.shape[1], dtype=np.int64)
    stamp = 0
    visits = 0  # meetings looked at: bounds the round when few of them can move
    while stats[TRIED] < tries and visits < tries:
        visits += 1
        if stats[BEST_OVER] == 0 and stats[BEST_BREAKS] == 0:
            return
        if stats[SWEEP_POS] >= stats[SWEEP_LEN]:
            _new_sweep(party_ptr, party_of, cost, sweep, stats)
            if stats[SWEEP_LEN] == 0:
                return
        e = sweep[stats[SWEEP_POS]]
        stats[SWEEP_POS] += 1
        c = slot[e]
        n_starts = cand_ptr[e + 1] - cand_ptr[e]
        starts[:n_starts] = cand[cand_ptr[e] : cand_ptr[e + 1]]
        for k in range(n_starts):  # the candidate starts in random order
            pick = k + np.random.randint(n_starts - k)
            starts[k], starts[pick] = starts[pick], starts[k]
            c2 = starts[k]
            if c2 == c:
                continue
            stats[TRIED] += 1
            stamp += 1
            size = _chain(
                e, c, c2, party_ptr, party_of, at, allowed, mark, stamp, members, targets, 0
            )
            if size < 0:
                continue
            full = _overflow(members, targets, size, room_class, caps, count, c, c2)
            for _ in range(BALANCE_TRIES if full >= 0 else 0):
                # a slot without rooms to spare: the chain of a meeting there goes the other way
                other = c2 if full == c else c
                f = _meeting_at(full, slot, mark, stamp)
                if f < 0 or not allowed[f, other]:
                    continue
                grown = _chain(
                    f, full, other, party_ptr, party_of, at, allowed, mark, stamp, members,
                    targets, size,
                )  # fmt: skip
                if grown > 0:
                    size = grown
                    full = _overflow(members, targets, size, room_class, caps, count, c, c2)
                    if full < 0:
                        break
            if full >= 0:
                continue
            delta = 0
            n_changed = 0
            for i in range(size):
                r = members[i]
                for q in range(party_ptr[r], party_ptr[r + 1]):
                    p = party_of[q]
                    if seen[p] == stamp:
                        continue
                    seen[p] = stamp
                    # every meeting of p at c or c2 is in the chain: the two slots swap
                    if counted[p] and (at[p, c] >= 0) != (at[p, c2] >= 0):
                        new_cost[n_changed], new_breaks[n_changed] = _party_cost(
                            p, at, seg_start, seg_end, c, c2, limit
                        )
                        changed[n_changed] = p
                        delta += new_cost[n_changed] - cost[p]
                        n_changed += 1
            if not (
                delta < 0
                or (delta == 0 and np.random.random() < TIE)
                or (delta > 0 and np.random.random() < np.exp(-delta / temperature))
            ):
                continue
            for i in range(n_changed):
                p = changed[i]
                stats[BREAKS] += new_breaks[i] - breaks[p]
                stats[OVER] += (new_breaks[i] > limit) - (breaks[p] > limit)
                breaks[p] = new_breaks[i]
                cost[p] = new_cost[i]
            for i in range(size):
                r = members[i]
                for q in range(party_ptr[r], party_ptr[r + 1]):
                    if at[party_of[q], slot[r]] == r:
                        at[party_of[q], slot[r]] = -1
            for i in range(size):
                r = members[i]
                for q in range(party_ptr[r], party_ptr[r + 1]):
                    at[party_of[q], targets[i]] = r
                for j in range(room_class[r], caps.shape[0]):
                    count[j, slot[r]] -= 1
                    count[j, targets[i]] += 1
                slot[r] = targets[i]
            break
        over = 1 if stats[OVER] > 0 else 0
        if over < stats[BEST_OVER] or (
            over == stats[BEST_OVER] and stats[BREAKS] < stats[BEST_BREAKS]
        ):
            stats[BEST_OVER] = over
            stats[BEST_BREAKS] = stats[BREAKS]
            best[:] = slot
