"""Local search on a schedule for fewer breaks (simulated annealing), for the breaks stage.

CP-SAT improves a schedule with many breaks slowly when the day is long and half empty
(B2B events of 21-22 slots: first schedules with 20-120 breaks where the optimum is 0-6):
there are many ways to place each meeting and few of them change the objective. The move
is a Kempe chain, as in graph colouring and timetabling: one meeting goes to another slot,
the meetings its parties hold there come back to its old slot, theirs go over, and so on
(a free slot makes it a plain slide; two meetings of one party exchanging their slots is a
chain of two). Moves are cheap to evaluate (about 45,000 chains a second on B2B), and they
walk down to far better schedules (B2B forum-14 and ticf-14crafa: 9 and 3 breaks after 5 s,
against 24 and 12 with slides and swaps alone; see BENCHMARKS.md).

It also polishes the min-cost-flow schedule of MUNI-shaped editions (solver/flow.py)
before CP-SAT sees it. It applies when every meeting lasts one slot, the rooms are pooled
(nested sets of fitting rooms, solver/prep.py: a slot holds at most |S_j| meetings whose
rooms lie in S_j), no precedence links two requests and no earlier plan is re-planned.
Moves never change which requests are scheduled, so the weight and fairness stages keep
their values; they keep every hard rule (candidate starts only, no party in two meetings
at once, the rooms per slot) and the result is kept only when no counted party has more
than `max_breaks` breaks.

Cost of a counted party: idle slots inside its span in each segment plus GAP_WEIGHT per
break, and FAIRNESS_WEIGHT per break above `max_breaks`. Idle slots make the landscape
smooth: shortening a gap is progress before the gap closes.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable

from .model import Built, counted_parties

GAP_WEIGHT = 2
FAIRNESS_WEIGHT = 20
T0 = 1.0  # initial temperature, falling linearly over the run
TIE = 0.3  # probability of taking a move that leaves the cost unchanged
TIME_CHECK_EVERY = 64  # meetings between two looks at the clock (a MUNI sweep takes long)
CHAIN_MAX = 40  # meetings in one Kempe chain move
FOCUS = 10  # each sweep: the meetings of parties with a cost, and 1/FOCUS of all the others


def applies(b: Built) -> bool:
    """One-slot meetings, pooled rooms, no precedences, breaks counted, not re-planning
    (moves would change the re-planning stage's objective)."""
    reqs = b.inst.requests
    return (
        bool(counted_parties(b.inst, b.options.break_parties))
        and b.options.previous is None
        and b.prep.pooled
        and all(req.duration == 1 and not req.after for req in reqs)
    )


def kempe_chain(
    e: int,
    c: int,
    c2: int,
    parties: dict[int, tuple[str, ...] | list[str]],
    at: dict[str, dict[int, int]],
    allowed: dict[int, set[int]],
) -> dict[int, int] | None:
    """Meeting -> new slot for the Kempe chain of meeting e (now at c) towards c2: e moves
    to c2, the meetings its parties hold at c2 move to c, the meetings their parties hold
    at c move to c2, and so on. No party is then in two meetings at once. None when a
    meeting of the chain may not take its new slot, or the chain passes CHAIN_MAX.
    `at[party][slot]` is the meeting a party holds at a slot."""
    chain = {e: c2}
    stack = [(e, c2)]
    while stack:
        r, to = stack.pop()
        back = c if to == c2 else c2
        for p in parties[r]:
            f = at[p].get(to)
            if f is None or f in chain:
                continue
            if back not in allowed[f] or len(chain) >= CHAIN_MAX:
                return None
            chain[f] = back
            stack.append((f, back))
    return chain


def placements(b: Built, values: list[int]) -> dict[int, int]:
    """Scheduled request -> start slot, from a solution vector."""
    out: dict[int, int] = {}
    for r, ys in enumerate(b.y):
        for s, y in ys.items():
            if values[y.index]:
                out[r] = s
                break
    return out


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
    a proven bound, say, which may rise meanwhile."""
    reqs = b.inst.requests
    counted = set(counted_parties(b.inst, b.options.break_parties))
    # rooms per slot, as in model.no_room_overlap: the meetings of class <= j at most
    # |S_j|, all of them at most the number of rooms
    chain, room_class = b.prep.room_chain, b.prep.room_class
    caps = [len(rooms) for rooms in chain[:-1]] + [len(b.inst.rooms)]
    segments = [sum(1 << t for t in seg) for seg in b.prep.segments(b.options.breaks_span_blocks)]
    limit = max_breaks if max_breaks is not None else 1 << 30

    meetings = sorted(placed)
    slot = dict(placed)
    parties = {r: reqs[r].parties for r in meetings}
    candidates = {r: list(b.y[r]) for r in meetings}
    mask: dict[str, int] = {}
    at: dict[str, dict[int, int]] = {}  # party -> slot -> request
    count = [[0] * b.prep.n for _ in caps]  # [j][slot]: meetings of class <= j
    for r, s in slot.items():
        for j in range(room_class[r], len(caps)):
            count[j][s] += 1
        for p in parties[r]:
            mask[p] = mask.get(p, 0) | (1 << s)
            at.setdefault(p, {})[s] = r

    def shape(m: int) -> tuple[int, int]:
        """(idle slots inside the span, breaks) of a busy mask, over the segments."""
        idle = gaps = 0
        for seg in segments:
            x = m & seg
            if not x:
                continue
            low = (x & -x).bit_length() - 1
            span = x.bit_length() - low
            ones = x.bit_count()
            idle += span - ones
            gaps += (x & ~(x << 1)).bit_count() - 1
        return idle, gaps

    def cost(p: str, m: int) -> int:
        if p not in counted:
            return 0
        idle, gaps = shape(m)
        return idle + GAP_WEIGHT * gaps + FAIRNESS_WEIGHT * max(0, gaps - limit)

    def breaks_of(p: str) -> int:
        return shape(mask[p])[1] if p in counted else 0

    current = {p: cost(p, m) for p, m in mask.items()}
    total_breaks = sum(breaks_of(p) for p in mask)
    over = sum(1 for p in mask if breaks_of(p) > limit)
    best = dict(slot)
    best_key = (over > 0, total_breaks)
    start = time.perf_counter()
    temperature = T0

    def accept(delta: int) -> bool:
        if delta < 0:
            return True
        if delta == 0:
            return rng.random() < TIE
        return rng.random() < math.exp(-delta / temperature)

    def apply(changes: dict[str, int]) -> None:
        nonlocal total_breaks, over
        for p, m in changes.items():
            old_b = breaks_of(p)
            mask[p] = m
            current[p] = cost(p, m)
            new_b = breaks_of(p)
            total_breaks += new_b - old_b
            over += (new_b > limit) - (old_b > limit)

    def relocate(r: int, old: int, new: int) -> None:
        for j in range(room_class[r], len(caps)):
            count[j][old] -= 1
            count[j][new] += 1

    order = list(meetings)
    allowed = {r: set(c) for r, c in candidates.items()}

    def rooms_fit(chain: dict[int, int], c: int, c2: int) -> bool:
        """The rooms per slot still suffice at c and c2 once the chain has moved."""
        # net[j]: meetings of class j arriving at c (each one leaves c2)
        net = [0] * len(caps)
        for r, t in chain.items():
            net[room_class[r]] += 1 if t == c else -1
        moved = 0
        for j in range(len(caps)):
            moved += net[j]  # classes <= j
            if moved > 0 and count[j][c] + moved > caps[j]:
                return False
            if moved < 0 and count[j][c2] - moved > caps[j]:
                return False
        return True

    while not stop(None if best_key[0] else best_key[1]):
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            break
        temperature = T0 * (1 - elapsed / seconds) + 0.02
        rng.shuffle(order)
        # the meetings of parties with idle slots or breaks, and a few others to diversify
        hot = [e for e in order if any(current.get(p) for p in parties[e])]
        for i, e in enumerate(hot + order[: len(order) // FOCUS]):
            if i % TIME_CHECK_EVERY == 0 and time.perf_counter() - start >= seconds:
                break
            c = slot[e]
            targets = candidates[e]
            for c2 in rng.sample(targets, len(targets)):
                if c2 == c:
                    continue
                chain = kempe_chain(e, c, c2, parties, at, allowed)
                if chain is None or not rooms_fit(chain, c, c2):
                    continue
                bit, bit2 = 1 << c, 1 << c2
                changes = {}
                for r in chain:
                    for p in parties[r]:
                        m = mask[p]
                        # every meeting of p at c or c2 is in the chain: the two bits swap
                        if bool(m & bit) != bool(m & bit2):
                            changes[p] = m ^ (bit | bit2)
                delta = sum(cost(p, m) - current[p] for p, m in changes.items())
                if accept(delta):
                    apply(changes)
                    for r in chain:
                        for p in parties[r]:
                            if at[p].get(slot[r]) == r:
                                del at[p][slot[r]]
                    for r, t in chain.items():
                        for p in parties[r]:
                            at[p][t] = r
                        relocate(r, slot[r], t)
                        slot[r] = t
                    break
            key = (over > 0, total_breaks)
            if key < best_key:
                best, best_key = dict(slot), key
                if not key[0] and stop(key[1]):
                    break
    if best_key[0]:  # never within the fairness limit: hand back the start
        return dict(placed), -1
    return best, best_key[1]
