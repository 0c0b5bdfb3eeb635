"""What an instance asks of the solver beyond the base problem, so that every engine other
than the CP-SAT model says what it can handle.

The base problem: meetings of parties, each placed at most once at a start slot inside one
block and in a room, no party and no room in two meetings at once, the mandatory ones
placed. Each `Feature` is a rule or an option on top of it. The CP-SAT model (solver/model)
and the validator (solver/validate.py) handle every feature. Each side engine (the flow of
solver/flow.py, the breaks stage's local search, MaxSAT search, request choice and
relaxation in solver/breaks/, the greedy of solver/greedy.py) declares the features it
SUPPORTS and applies only where the instance's features are among them: a feature added
here is unsupported by every engine until the engine's author declares it.
"""

from __future__ import annotations

from enum import StrEnum

from .models import Options
from .prep import Prepared


class Feature(StrEnum):
    LONG_MEETINGS = "long_meetings"  # a request lasting more than one slot
    GROUP_MEETINGS = "group_meetings"  # a request of more than two parties
    OPTIONAL_REQUESTS = "optional_requests"  # a request that is not mandatory
    TIME_WINDOWS = "time_windows"  # allowed blocks or allowed start slots
    UNAVAILABILITY = "unavailability"  # a party unavailable at some slot
    PINNED_SLOTS = "pinned_slots"  # a request pinned to its start slot
    PINNED_ROOMS = "pinned_rooms"  # a request pinned to a room
    ROOM_CLASSES = "room_classes"  # requests differ in the rooms that fit them
    EXPLICIT_ROOMS = "explicit_rooms"  # rooms cannot be pooled: a variable per room
    PRECEDENCE = "precedence"  # a request that must come after others
    SECTOR_KEEPS_ROOM = "sector_keeps_room"  # each sector in one room
    HOME_ROOMS = "home_rooms"  # each meeting in the home room of one of its sectors
    REPLAN = "replan"  # an earlier plan to stay close to (the changes stage)
    BREAK_FAIRNESS = "break_fairness"  # a hard limit on the spread of breaks


def features(prep: Prepared, options: Options) -> frozenset[Feature]:
    """The features of the prepared instance solved with `options`."""
    reqs = prep.inst.requests
    found: set[Feature] = set()
    if any(req.duration > 1 for req in reqs):
        found.add(Feature.LONG_MEETINGS)
    if any(len(req.parties) > 2 for req in reqs):
        found.add(Feature.GROUP_MEETINGS)
    if any(not req.mandatory for req in reqs):
        found.add(Feature.OPTIONAL_REQUESTS)
    if any(req.allowed_blocks is not None or req.allowed_slots is not None for req in reqs):
        found.add(Feature.TIME_WINDOWS)
    if any(p.unavailable for p in prep.inst.parties):
        found.add(Feature.UNAVAILABILITY)
    if any(req.pin is not None for req in reqs):
        found.add(Feature.PINNED_SLOTS)
    if any(req.pin is not None and req.pin.room is not None for req in reqs):
        found.add(Feature.PINNED_ROOMS)
    if len({frozenset(rooms) for rooms in prep.rooms if rooms}) > 1:
        found.add(Feature.ROOM_CLASSES)
    if not prep.pooled:
        found.add(Feature.EXPLICIT_ROOMS)
    if any(req.after for req in reqs):
        found.add(Feature.PRECEDENCE)
    if options.sector_keeps_room:
        found.add(Feature.SECTOR_KEEPS_ROOM)
    if options.home_rooms and prep.homes is None:  # (fixed homes: rooms follow from them)
        found.add(Feature.HOME_ROOMS)
    if options.previous is not None:
        found.add(Feature.REPLAN)
    if options.break_fairness is not None:
        found.add(Feature.BREAK_FAIRNESS)
    return frozenset(found)
