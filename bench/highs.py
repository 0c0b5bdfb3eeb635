"""The same scheduling formulation as a MIP, solved with HiGHS (highspy), as a baseline.

Variables: binary x[r, s] for every request r and feasible start s (allowed blocks/slots, pin, the
parties' unavailable slots, the whole duration inside one block). Constraints:

* each request at most once (exactly once if mandatory);
* rooms: at each slot, for every attendee level a, the meetings needing >= a seats fit in the rooms
  with capacity >= a (None = unlimited). The rooms fitting a meeting are nested by capacity, so
  these counts are exactly Hall's condition and a room assignment exists slot by slot; rooms are
  then assigned greedily (largest meetings first, smallest room that fits). Rooms reserved for a
  party are not supported (the function raises) - the B2B and generated instances have none;
* party no-overlap per slot; precedences (`after`) with a big-M that relaxes when r is unscheduled;
* breaks, for the counted parties: busy(p, t) (an expression), seen(p, t) = "busy at or before t
  on this day" and brk(p, t) = busy(p, t) AND NOT busy(p, t-1) AND seen(p, t-1), all exact
  (upper and lower bounds), so that break counts are exact and the fairness rule
  breaks(p) - min_q breaks(q) <= d is the real one.

Progress events (ProgressEvent, seconds since the call) come from HiGHS's improving-solution
callback. Stages are lexicographic as in the product: weight (max), fairness (max the worst
delegation's share of requested weight), breaks (min); each later stage keeps the earlier
objective at the value found (not the bound) and starts from the previous solution's x values.
The "changes" stage is not modelled.
The time limit is the total for all stages, split as in solver.solve (each later stage keeps
10% of it in reserve; unused time rolls over).
"""

from __future__ import annotations

import os
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field

import highspy
import numpy as np

from solver.models import (
    Assignment,
    Instance,
    Options,
    ProgressCallback,
    ProgressEvent,
    Solution,
    StageName,
    StageResult,
    Status,
    Unscheduled,
)

from .metrics import counted_parties, total_breaks


@dataclass
class _Model:
    lb: list[float] = field(default_factory=list)
    ub: list[float] = field(default_factory=list)
    integer: list[bool] = field(default_factory=list)
    rows: list[tuple[float, float, list[int], list[float]]] = field(default_factory=list)

    def var(self, lb: float = 0.0, ub: float = 1.0, integer: bool = True) -> int:
        self.lb.append(lb)
        self.ub.append(ub)
        self.integer.append(integer)
        return len(self.lb) - 1

    def row(self, idx: list[int], val: list[float], lo: float, hi: float) -> None:
        self.rows.append((lo, hi, idx, val))


INF = highspy.kHighsInf
RESERVE_SHARE = 0.10


def feasible_starts(instance: Instance, req_index: int) -> list[int]:
    req = instance.requests[req_index]
    grid = instance.grid
    unavailable: set[int] = set()
    for p in req.parties:
        unavailable.update(instance.party_by_id[p].unavailable)
    blocks = [b.id for d in grid.days for b in d.blocks]
    if req.allowed_blocks is not None:
        blocks = [b for b in blocks if b in set(req.allowed_blocks)]
    allowed = set(req.allowed_slots) if req.allowed_slots is not None else None
    fits = any(r.capacity is None or r.capacity >= req.attendees for r in instance.rooms)
    if req.pin is not None and req.pin.room is not None:
        room = instance.room_by_id[req.pin.room]
        fits = room.capacity is None or room.capacity >= req.attendees
    if not fits:
        return []
    out: list[int] = []
    for block in blocks:
        rng = grid.block_slots(block)
        for s in range(rng.start, rng.stop - req.duration + 1):
            if allowed is not None and s not in allowed:
                continue
            if req.pin is not None and s != req.pin.slot:
                continue
            if any(t in unavailable for t in range(s, s + req.duration)):
                continue
            out.append(s)
    return out


def _stage_list(options: Options) -> list[StageName]:
    if options.stages is not None:
        return [s for s in options.stages if s != "changes"]
    stages: list[StageName] = ["weight"]
    if options.fairness:
        stages.append("fairness")
    if options.break_parties != "none":
        stages.append("breaks")
    return stages


def _status_of(h: highspy.Highs) -> tuple[Status, bool]:
    ms = h.getModelStatus()
    has_solution = h.getInfo().primal_solution_status == 2  # kSolutionStatusFeasible
    if ms == highspy.HighsModelStatus.kOptimal:
        return Status.OPTIMAL, True
    if ms == highspy.HighsModelStatus.kInfeasible:
        return Status.INFEASIBLE, False
    return (Status.FEASIBLE if has_solution else Status.UNKNOWN), has_solution


def solve_highs(
    instance: Instance,
    options: Options | None = None,
    progress: ProgressCallback | None = None,
) -> Solution:
    t0 = time.perf_counter()
    options = options or instance.options
    if any(r.reserved_for is not None for r in instance.rooms):
        raise NotImplementedError("bench.highs: rooms reserved for a party are not modelled")
    grid = instance.grid
    info = grid.slot_info
    n_slots = grid.n_slots
    m = _Model()

    # ---- x variables
    x: dict[tuple[int, int], int] = {}
    starts: list[list[int]] = []
    unscheduled: list[Unscheduled] = []
    infeasible_mandatory: list[str] = []
    for i, req in enumerate(instance.requests):
        ss = feasible_starts(instance, i)
        starts.append(ss)
        for s in ss:
            x[i, s] = m.var()
        if not ss:
            unscheduled.append(
                Unscheduled(
                    request=req.id,
                    code="no_feasible_slot",
                    reason="No slot and room satisfy the request's windows, parties and size",
                )
            )
            if req.mandatory:
                infeasible_mandatory.append(req.id)

    def y_terms(i: int) -> tuple[list[int], list[float]]:
        idx = [x[i, s] for s in starts[i]]
        return idx, [1.0] * len(idx)

    for i, req in enumerate(instance.requests):
        if starts[i]:
            idx, val = y_terms(i)
            m.row(idx, val, 1.0 if req.mandatory else 0.0, 1.0)

    # covering[t] = list of (request, var) occupying slot t
    covering: list[list[tuple[int, int]]] = [[] for _ in range(n_slots)]
    for (i, s), v in x.items():
        for t in range(s, s + instance.requests[i].duration):
            covering[t].append((i, v))

    # ---- rooms (nested capacity classes)
    caps = [r.capacity for r in instance.rooms]
    levels = sorted({0} | {r.attendees for r in instance.requests})
    for a in levels:
        n_rooms = sum(1 for c in caps if c is None or c >= a)
        for t in range(n_slots):
            idx = [v for i, v in covering[t] if instance.requests[i].attendees >= a]
            if len(idx) > n_rooms:
                m.row(idx, [1.0] * len(idx), -INF, float(n_rooms))

    # ---- party no-overlap, and busy expressions
    busy: dict[str, list[list[int]]] = {
        p.id: [[] for _ in range(n_slots)] for p in instance.parties
    }
    for t in range(n_slots):
        for i, v in covering[t]:
            for p in instance.requests[i].parties:
                busy[p][t].append(v)
    for p in instance.parties:
        for t in range(n_slots):
            if len(busy[p.id][t]) > 1:
                m.row(busy[p.id][t], [1.0] * len(busy[p.id][t]), -INF, 1.0)

    # ---- precedences: start(r) >= end(j) when r is scheduled
    big_m = float(n_slots + 50)
    for i, req in enumerate(instance.requests):
        for j_id in req.after:
            j = next(k for k, r in enumerate(instance.requests) if r.id == j_id)
            if not starts[i]:
                continue
            dj = instance.requests[j].duration
            idx = [x[i, s] for s in starts[i]] + [x[j, s] for s in starts[j]]
            val = [s - big_m for s in starts[i]] + [-(s + dj) for s in starts[j]]
            m.row(idx, val, -big_m, INF)

    # ---- objective pieces
    weight_obj = {x[i, s]: float(instance.requests[i].weight) for (i, s) in x}

    # fairness: f <= share(p) for every delegation with requested weight
    fair_var: int | None = None
    stages = _stage_list(options)
    if "fairness" in stages:
        fair_var = m.var(0.0, 1.0, integer=False)
        by_deleg: dict[str, list[int]] = defaultdict(list)
        for i, req in enumerate(instance.requests):
            for p in req.parties:
                if instance.party_by_id[p].kind == "delegation":
                    by_deleg[p].append(i)
        for _p, reqs in by_deleg.items():
            total = sum(instance.requests[i].weight for i in reqs)
            if total <= 0:
                continue
            idx = [fair_var]
            val = [1.0]
            for i in reqs:
                for s in starts[i]:
                    idx.append(x[i, s])
                    val.append(-instance.requests[i].weight / total)
            m.row(idx, val, -INF, 0.0)

    # breaks
    break_vars: list[int] = []
    if "breaks" in stages:
        counted = counted_parties(instance)
        segments: list[list[int]] = []
        for d in range(len(grid.days)):
            day_slots = [s.index for s in info if s.day_index == d]
            if options.breaks_span_blocks:
                segments.append(day_slots)
            else:
                for b in grid.days[d].blocks:
                    segments.append(list(grid.block_slots(b.id)))
        per_party: dict[str, list[int]] = {}
        for party in counted:
            n_req = sum(
                1 for i, r in enumerate(instance.requests) if party.id in r.parties and starts[i]
            )
            mine: list[int] = []
            if n_req >= 2:
                for seg in segments:
                    seen_prev: int | None = None
                    prev_t: int | None = None
                    for t in seg:
                        b_idx = busy[party.id][t]
                        seen = m.var()
                        # seen_t >= busy_t ; seen_t >= seen_{t-1} ; seen_t <= seen_{t-1} + busy_t
                        m.row([seen, *b_idx], [1.0] + [-1.0] * len(b_idx), 0.0, INF)
                        if seen_prev is None:
                            m.row([seen, *b_idx], [1.0] + [-1.0] * len(b_idx), -INF, 0.0)
                        else:
                            m.row([seen, seen_prev], [1.0, -1.0], 0.0, INF)
                            m.row(
                                [seen, seen_prev, *b_idx],
                                [1.0, -1.0] + [-1.0] * len(b_idx),
                                -INF,
                                0.0,
                            )
                            assert prev_t is not None
                            pb = busy[party.id][prev_t]
                            if b_idx:
                                z = m.var()
                                mine.append(z)
                                # z >= busy_t - busy_{t-1} + seen_{t-1} - 1
                                m.row(
                                    [z, *b_idx, *pb, seen_prev],
                                    [1.0] + [-1.0] * len(b_idx) + [1.0] * len(pb) + [-1.0],
                                    -1.0,
                                    INF,
                                )
                                m.row([z, *b_idx], [1.0] + [-1.0] * len(b_idx), -INF, 0.0)
                                m.row([z, *pb], [1.0] + [1.0] * len(pb), -INF, 1.0)
                                m.row([z, seen_prev], [1.0, -1.0], -INF, 0.0)
                        seen_prev, prev_t = seen, t
            per_party[party.id] = mine
            break_vars.extend(mine)
        d = options.break_fairness
        if d is not None and counted:
            if any(not v for v in per_party.values()):
                for v in per_party.values():  # min_q breaks(q) is 0
                    if v:
                        m.row(v, [1.0] * len(v), -INF, float(d))
            else:
                low = m.var(0.0, float(n_slots), integer=False)
                for v in per_party.values():
                    m.row([*v, low], [1.0] * len(v) + [-1.0], 0.0, INF)  # low <= breaks(q)
                    m.row([*v, low], [1.0] * len(v) + [-1.0], -INF, float(d))

    # ---- build HiGHS model
    h = _new_highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("random_seed", int(options.seed))
    h.setOptionValue("threads", int(options.workers))
    h.setOptionValue("mip_rel_gap", 0.0)
    n = len(m.lb)
    h.addCols(n, np.zeros(n), np.array(m.lb), np.array(m.ub), 0, [], [], [])
    h.changeColsIntegrality(
        n,
        np.arange(n, dtype=np.int32),
        np.array(
            [
                highspy.HighsVarType.kInteger if k else highspy.HighsVarType.kContinuous
                for k in m.integer
            ]
        ),
    )

    def add_rows(rows: list[tuple[float, float, list[int], list[float]]]) -> None:
        if not rows:
            return
        lo = np.array([r[0] for r in rows], dtype=float)
        hi = np.array([r[1] for r in rows], dtype=float)
        starts_ = np.zeros(len(rows), dtype=np.int32)
        idx: list[int] = []
        val: list[float] = []
        for k, r in enumerate(rows):
            starts_[k] = len(idx)
            idx.extend(r[2])
            val.extend(r[3])
        h.addRows(
            len(rows), lo, hi, len(idx), starts_, np.array(idx, dtype=np.int32), np.array(val)
        )

    add_rows(m.rows)

    results: list[StageResult] = []
    values: list[float] | None = None
    overall = Status.OPTIMAL
    if infeasible_mandatory:
        overall = Status.INFEASIBLE
        stages = []
    deadline = t0 + options.time_limit_s
    for k, stage in enumerate(stages):
        if stage == "weight":
            coef, sense, integral = weight_obj, "max", True
        elif stage == "fairness":
            assert fair_var is not None
            coef, sense, integral = {fair_var: 1.0}, "max", False
        else:
            coef, sense, integral = dict.fromkeys(break_vars, 1.0), "min", True
        # the same split as solver.solve: every later stage keeps 10% of the total in reserve
        remaining = deadline - time.perf_counter()
        budget = max(0.05, remaining - RESERVE_SHARE * options.time_limit_s * (len(stages) - k - 1))
        h.changeColsCost(n, np.arange(n, dtype=np.int32), np.zeros(n))
        if coef:
            keys = np.array(list(coef), dtype=np.int32)
            h.changeColsCost(len(keys), keys, np.array([coef[c] for c in keys]))
        h.changeObjectiveSense(
            highspy.ObjSense.kMaximize if sense == "max" else highspy.ObjSense.kMinimize
        )
        h.setOptionValue("time_limit", float(budget))
        h.setOptionValue("mip_abs_gap", 0.999 if integral else 1e-6)
        if values is not None:
            # a partial start (the x values only): HiGHS completes the auxiliary variables
            xs = np.array(sorted(x.values()), dtype=np.int32)
            h.setSolution(len(xs), xs, np.array([round(values[v]) for v in xs], dtype=float))
        ts = time.perf_counter()
        if progress is not None:

            def _on_improving(_type, _msg, out, _in, _user, stage=stage):  # noqa: ANN001
                progress(
                    ProgressEvent(
                        stage,
                        time.perf_counter() - t0,
                        float(out.objective_function_value),
                        float(out.mip_dual_bound),
                    )
                )

            h.setCallback(_on_improving, None)
            h.startCallback(highspy.cb.HighsCallbackType.kCallbackMipImprovingSolution)
        h.run()
        if progress is not None:
            h.stopCallback(highspy.cb.HighsCallbackType.kCallbackMipImprovingSolution)
        status, has = _status_of(h)
        hinfo = h.getInfo()
        obj = hinfo.objective_function_value if has else None
        bound = hinfo.mip_dual_bound if has or status == Status.UNKNOWN else None
        if bound is not None and not np.isfinite(bound):
            bound = None
        if obj is not None and integral:
            obj = float(round(obj))
        gap = None
        if obj is not None and bound is not None:
            gap = abs(obj - bound) / max(1.0, abs(obj))
            if status == Status.OPTIMAL:
                bound = obj if integral and gap < 1.0 / max(1.0, abs(obj)) else bound
        results.append(
            StageResult(
                name=stage,
                status=status,
                objective=obj,
                bound=bound,
                gap=gap,
                seconds=round(time.perf_counter() - ts, 3),
                sense=sense,
            )
        )
        if not has:
            if values is None:
                overall = status if status == Status.INFEASIBLE else Status.UNKNOWN
            elif overall == Status.OPTIMAL:
                overall = Status.FEASIBLE
            break
        values = list(h.getSolution().col_value)
        if status != Status.OPTIMAL:
            overall = Status.FEASIBLE
        # keep this stage at the value found for the next stages
        keys = list(coef)
        if keys and k + 1 < len(stages):
            tol = 1e-6 if not integral else 0.5
            lo, hi = (obj - tol, INF) if sense == "max" else (-INF, obj + tol)
            add_rows([(lo, hi, keys, [coef[c] for c in keys])])
    if not stages and not infeasible_mandatory:
        h.setOptionValue("time_limit", float(options.time_limit_s))
        h.run()
        status, has = _status_of(h)
        overall = status
        if has:
            values = list(h.getSolution().col_value)

    assignments: list[Assignment] = []
    if values is not None:
        chosen = [(s, i) for (i, s), v in x.items() if values[v] > 0.5]
        assignments = _assign_rooms(instance, chosen)
        done = {a.request for a in assignments}
        unscheduled += [
            Unscheduled(request=r.id, code="not_selected", reason="Not selected by the MIP")
            for i, r in enumerate(instance.requests)
            if starts[i] and r.id not in done
        ]
    elif overall != Status.INFEASIBLE:
        overall = Status.UNKNOWN
    return Solution(
        instance=instance.name,
        status=overall,
        assignments=assignments,
        unscheduled=unscheduled if values is not None or infeasible_mandatory else [],
        stages=results,
        conflicts=infeasible_mandatory,
        scheduled_weight=sum(instance.request_by_id[a.request].weight for a in assignments),
        breaks=total_breaks(instance, assignments),
        seconds=round(time.perf_counter() - t0, 3),
        solver="highs",
    )


def _new_highs() -> highspy.Highs:
    """A Highs object without its copyright banner on stdout (printed by the C++ constructor,
    before any option can be set), so benchmark tables stay clean."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            return highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _assign_rooms(instance: Instance, chosen: list[tuple[int, int]]) -> list[Assignment]:
    """Meetings by start, largest first; the pinned room if free, else the smallest room that
    fits and is free for the whole duration."""
    info = instance.grid.slot_info
    rooms = sorted(instance.rooms, key=lambda r: (r.capacity is None, r.capacity or 0))
    used: set[tuple[str, int]] = set()
    out: list[Assignment] = []
    for s, i in sorted(chosen, key=lambda c: (c[0], -instance.requests[c[1]].attendees)):
        req = instance.requests[i]
        span = range(s, s + req.duration)
        fitting = [
            r
            for r in rooms
            if (r.capacity is None or r.capacity >= req.attendees)
            and all((r.id, t) not in used for t in span)
        ]
        if req.pin is not None and req.pin.room is not None:
            fitting = [r for r in fitting if r.id == req.pin.room] + fitting
        if not fitting:
            raise RuntimeError(f"bench.highs: no free room for {req.id} at slot {s}")
        room = fitting[0]
        for t in span:
            used.add((room.id, t))
        out.append(Assignment(request=req.id, slot=s, room=room.id, day=info[s].day))
    return out
