"""The CP-SAT model: variables, hard rules and the objective expressions of every stage.

One module per family: `built` (the model's handles and solution vectors), `rules` (the
hard rules on the variables and the implied constraints), `objectives` (weight, fairness,
changes), `breaks` (gap starts, break fairness, the breaks objective), `crowded` (the
crowded-interval cuts of the breaks stage) and `build` (variables, then all of the above).

Decomposition
-------------
* ``y[r, s]`` (Boolean): request ``r`` starts at slot ``s``. Created only for the
  candidate starts of :mod:`solver.prep` (every single-request rule already applied:
  contiguity inside one block, allowed windows, availability of every party, pins).
* ``sched[r]`` = sum_s y[r, s] (at most one start per request).
* Rooms ("pooled" mode, :func:`solver.prep.room_chain`). When the sets of rooms that fit
  each request form a chain S_1 < S_2 < ... (identical rooms: one set; capacity classes
  or a room reserved for one party: nested sets) and, with several sets, every meeting
  lasts one slot, rooms get no variables: per slot and per S_j, the meetings whose rooms
  lie inside S_j number at most |S_j| (Hall's condition, exact for nested sets). Rooms are
  assigned after the solve by start time, most restricted meetings first
  (``assign_pooled_rooms`` in solver/extract.py), which always succeeds; this removes the
  room symmetry entirely. Otherwise ("full" mode: pinned rooms, `sector_keeps_room`, `home_rooms`,
  non-nested sets, or long meetings with mixed rooms) ``x[r, s, k]`` chooses the room,
  only for fitting rooms, with ``sum_k x[r, s, k] = y[r, s]`` and one meeting per room
  and slot.
* ``busy[p, t]`` (Boolean, every party) equals the number of p's meetings covering slot t
  (``exactly_one(meetings covering t, not busy)``). The break variables are added only
  for the breaks stage (:func:`add_breaks`), or from the start when break fairness (a
  hard rule) needs them, so the earlier stages solve a smaller model; every auxiliary
  variable is registered with its definition (``Built.define``) so a complete hint can be
  computed from the placements alone.

Implied constraints (redundant, they strengthen propagation / the LP):
* per party: sum of its scheduled meeting-slots = sum of its busy slots, and <= the
  number of slots its candidate meetings can cover;
* per slot: sum of meetings covering it <= n_rooms, and busy parties = sum over the
  covering meetings of their number of parties;
* per interval of slots too crowded for every party to meet in one run: the breaks it
  forces (solver/model/crowded.py).

Precedence (`after`) only binds when both requests are scheduled: a request whose
predecessor is dropped may still be scheduled anywhere.
"""

from .breaks import add_breaks, break_fairness, counted_parties, gap_breaks_of, has_meeting
from .build import OBJECTIVES, build
from .built import (
    Built,
    complete_values,
    evaluate,
    extend_values,
    fix_around,
    fix_outside,
    hint_values,
    least_value,
    set_hint,
    value_of,
)
from .crowded import crowded_intervals, hall_needs, slot_capacities
from .objectives import (
    PER_MILLE,
    changes_objective,
    delegations_for_fairness,
    fairness_objective,
    fix_objective,
    keep_objective,
    weight_is_constant,
    weight_objective,
)
from .rules import (
    CONSTRAINT_RULES,
    HARD_RULES,
    home_rooms,
    implied,
    mandatory,
    no_party_overlap,
    no_room_overlap,
    precedences,
    sector_keeps_room,
)

__all__ = [
    "CONSTRAINT_RULES",
    "HARD_RULES",
    "OBJECTIVES",
    "PER_MILLE",
    "Built",
    "add_breaks",
    "break_fairness",
    "build",
    "changes_objective",
    "complete_values",
    "counted_parties",
    "crowded_intervals",
    "delegations_for_fairness",
    "evaluate",
    "extend_values",
    "fairness_objective",
    "fix_around",
    "fix_objective",
    "fix_outside",
    "gap_breaks_of",
    "hall_needs",
    "has_meeting",
    "hint_values",
    "home_rooms",
    "implied",
    "keep_objective",
    "least_value",
    "mandatory",
    "no_party_overlap",
    "no_room_overlap",
    "precedences",
    "sector_keeps_room",
    "set_hint",
    "slot_capacities",
    "value_of",
    "weight_is_constant",
    "weight_objective",
]
