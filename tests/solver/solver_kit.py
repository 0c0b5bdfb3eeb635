"""Tiny instance builders for the solver tests."""

from __future__ import annotations

from solver import Block, Day, Instance, MeetingRequest, Options, Party, Room, TimeGrid

FAST = {"time_limit_s": 5.0, "workers": 1, "seed": 0}


def grid(*days: list[int]) -> TimeGrid:
    """grid([2, 2], [3]): day d1 with blocks d1b0 (2 slots), d1b1 (2); day d2 with d2b0 (3)."""
    return TimeGrid(
        days=[
            Day(
                id=f"d{i + 1}",
                blocks=[Block(id=f"d{i + 1}b{j}", slots=n) for j, n in enumerate(day)],
            )
            for i, day in enumerate(days)
        ]
    )


def req(rid: str, *parties: str, **kw) -> MeetingRequest:
    return MeetingRequest(id=rid, parties=list(parties), **kw)


def _kind(pid: str) -> str:
    return {"D": "delegation", "S": "sector"}.get(pid[0], "other")


def make(
    requests: list[MeetingRequest],
    *,
    slots: list[int] | TimeGrid = (1,),
    rooms: int | list[Room] = 1,
    unavailable: dict[str, list[int]] | None = None,
    **options,
) -> Instance:
    """An instance; parties come from the requests (D* delegations, S* sectors)."""
    unavailable = unavailable or {}
    g = slots if isinstance(slots, TimeGrid) else grid(list(slots))
    ids = sorted({p for r in requests for p in r.parties} | set(unavailable))
    parties = [Party(id=p, kind=_kind(p), unavailable=unavailable.get(p, [])) for p in ids]
    room_list = rooms if isinstance(rooms, list) else [Room(id=f"R{k}") for k in range(rooms)]
    return Instance(
        grid=g,
        rooms=room_list,
        parties=parties,
        requests=requests,
        options=Options(**{**FAST, **options}),
    )


def where(solution) -> dict[str, tuple[int, str]]:
    return {a.request: (a.slot, a.room) for a in solution.assignments}


def codes(solution) -> dict[str, str]:
    return {u.request: u.code for u in solution.unscheduled}
