"""The breaks stage: fewer breaks for the parties, every earlier stage's objective fixed.

`solve_breaks` is its one entry point (stage.py). Its parts, each in its own module:

* targets.py: the search over one model, a short minimisation then "breaks <= target"
  feasibility solves from the bound up;
* portfolio.py: the local search (local.py, simulated annealing compiled by numba) with
  CP-SAT beside it in a thread, each stopping the other at the proof;
* race.py and maxsat.py: the MaxSAT search (CaDiCaL in a child process, sat_child.py)
  raced beside CP-SAT where every request is a mandatory one-slot pair meeting;
* lns.py: large neighbourhood search, where the local search does not apply;
* choice.py: which requests to schedule, where the earlier stages leave that open;
* relax.py: a lower bound from a relaxation that forgets which meeting fills a slot;
* tuning.py: how the stage shares its time (`BreaksTuning`).

Every schedule found outside CP-SAT (local search, MaxSAT) is completed and checked by
CP-SAT with its starts fixed (`scope.checked`) before the stage takes it.
"""

from .stage import search_breaks, solve_breaks
from .tuning import TUNING, BreaksTuning

__all__ = ["TUNING", "BreaksTuning", "search_breaks", "solve_breaks"]
