"""Linear UNSAT-SAT search on CaDiCaL, as a child process of solver/breaks/maxsat.py.

Run as `python -P sat_child.py`: a script, not the package's module (solver/__init__ would
import CP-SAT and more, which would slow its start), and -P keeps its folder off sys.path,
where its module names could shadow others'. It reads one pickled job from stdin: the
clauses, the counted literals (the gap starts), the first total to try, the largest one and
a CPU-seconds limit. It asks "at most K counted literals true" for K = first, first + 1, ...
through the outputs of one incremental totalizer, so the solver keeps what it learned from
one K to the next, and writes one pickled record per answer to stdout:

* ("refuted", K): no schedule has K or fewer; the optimum is at least K + 1;
* ("model", K, true_vars): a schedule with at most K, its true variables; the optimum when
  every total below K was refuted (by this process or before it started);
* ("exhausted", K): K passed the largest total to try.

CaDiCaL (python-sat's, 1.9.5) holds the GIL while it solves and python-sat cannot interrupt
it, hence the process: the parent kills it to stop it, and the CPU limit ends it if the
parent cannot.
"""

from __future__ import annotations

import pickle
import resource
import sys
from typing import Any, BinaryIO

from pysat.card import ITotalizer
from pysat.solvers import Solver

# stable mode only (CaDiCaL's --sat configuration, in part): the search mostly looks for a
# schedule at a total close to the optimum, which stable mode finds sooner
OPTIONS = {"stabilizeonly": 1}


def search(job: dict[str, Any], out: BinaryIO) -> None:
    counted: list[int] = job["counted"]
    first, last = job["first"], job["last"]
    clauses: list[list[int]] = job["clauses"]
    at_least: list[int] = []  # at_least[k]: more than k counted literals hold
    if counted:
        totalizer = ITotalizer(lits=counted, ubound=last + 1, top_id=job["top"])
        clauses = clauses + totalizer.cnf.clauses
        at_least = totalizer.rhs

    def send(*record: Any) -> None:
        pickle.dump(record, out)
        out.flush()

    with Solver(name="cd195", bootstrap_with=clauses) as sat:
        sat.configure(OPTIONS)
        for k in range(first, last + 1):
            if sat.solve(assumptions=[-at_least[k]] if k < len(at_least) else []):
                send("model", k, [v for v in sat.get_model() if 0 < v <= job["top"]])
                return
            send("refuted", k)
        send("exhausted", last + 1)


def main() -> None:
    job = pickle.load(sys.stdin.buffer)
    cpu = int(job["cpu_seconds"]) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    search(job, sys.stdout.buffer)


if __name__ == "__main__":
    main()
