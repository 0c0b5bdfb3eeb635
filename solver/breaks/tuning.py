"""The breaks stage's tuning: how it shares its time among its searches."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BreaksTuning:
    """Time shares and limits of the breaks stage. A share is of the time left when it
    applies, unless its description says otherwise."""

    first_share: float = 0.15
    """The first plain minimisation: this share of the stage's time..."""
    first_max_s: float = 1.5
    """...and at most this many seconds; it gives the incumbent and a first bound."""
    first_subsolvers: tuple[str, ...] = ("no_lp", "max_lp")
    """CP-SAT's full subsolvers for the first minimisation of the restricted model (break
    fairness); on 2 workers only the first runs as a full search, the other worker runs
    the first-solution and helper subsolvers."""
    target_subsolvers: tuple[str, ...] = ("no_lp", "max_lp")
    """CP-SAT's full subsolvers for "breaks <= target" feasibility solves: the LP-free search
    finds schedules at a small target far sooner than a minimisation reaches them."""
    target_gap: int = 12
    """Where the local search does not apply, an incumbent more than this above the bound is
    first walked down by large neighbourhood search (with break fairness) or left to a plain
    minimisation (without): the targets between are too many to try one by one."""
    wide_gap_share: float = 0.4
    """The large neighbourhood search on a far incumbent."""
    target_slice_share: float = 0.3
    """A target neither found nor refuted within this share is left for the next step..."""
    target_slice_min_s: float = 1.0
    """...but it gets at least this many seconds."""
    relax_share: float = 0.35
    """The busy-pattern relaxation's bound (solver/breaks/relax.py)..."""
    relax_max_s: float = 3.0
    """...at most this many seconds."""
    choice_share: float = 0.2
    """Of the stage's time, at most, to choose the requests (solver/breaks/choice.py)."""
    chosen_share: float = 0.6
    """The search of the chosen set alone, at the choice's bound, on every worker."""
    local_share: float = 0.5
    """The local search (with its companion) on an incumbent above the bound."""
    check_min_s: float = 0.5
    """CP-SAT's check of a schedule found outside it (every start fixed) gets at least this."""
    check_reserve_s: float = 0.15
    """Kept out of the local search's time for that check."""
    lns_move_max_s: float = 0.3
    """Large neighbourhood search: seconds per move at most."""
    lns_start_size: int = 24
    """Requests freed by the first move."""
    lns_min_size: int = 8
    """The fewest requests a move frees."""
    lns_grow: float = 1.25
    """Growth of the freed set after a move solved to optimality without a gain (the
    neighbourhood was too small to hold one)."""
    lns_shrink: float = 0.8
    """Shrinking of the freed set after a move that ran out of time."""
    lns_window_share: float = 0.5
    """Share of the moves that free a window of slots rather than parties."""
    lns_subsolvers: tuple[str, ...] = ("no_lp", "quick_restart_no_lp")
    """CP-SAT's subsolvers for a move: LP-free, as a move needs a schedule fast."""
    release_wait_s: float = 0.1
    """At most this long, the wait for the MaxSAT search's thread once it is stopped."""


TUNING = BreaksTuning()
