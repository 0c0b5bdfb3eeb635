"""Seeded, realistic instance generators for GORE Ejecutivo and MUNI Ejecutivo.

Every figure comes from docs on the domain (PCM 2017 report, "GORE Ejecutivo: una ruta hacia la
articulación", 2019): 26 delegations (25 regional governments + the Metropolitan Municipality of
Lima), 19 ministries in early editions and 9 priority sectors later, 20-minute bilaterals, the 7th
edition's 196 bilaterals, sector demand proportional to the commitments recorded by sector.
The same seed always gives the same instance.
"""

from __future__ import annotations

import math
import random

from solver import solve
from solver.models import (
    Block,
    Day,
    Instance,
    MeetingRequest,
    Options,
    Party,
    Pin,
    Room,
    TimeGrid,
)

# (code, name) of the 26 delegations: 24 departments' regional governments (Lima department is
# "Lima Provincias"), Callao, and the Metropolitan Municipality of Lima (MML).
REGIONS: list[tuple[str, str]] = [
    ("AMA", "Gobierno Regional de Amazonas"),
    ("ANC", "Gobierno Regional de Áncash"),
    ("APU", "Gobierno Regional de Apurímac"),
    ("ARE", "Gobierno Regional de Arequipa"),
    ("AYA", "Gobierno Regional de Ayacucho"),
    ("CAJ", "Gobierno Regional de Cajamarca"),
    ("CAL", "Gobierno Regional del Callao"),
    ("CUS", "Gobierno Regional de Cusco"),
    ("HUV", "Gobierno Regional de Huancavelica"),
    ("HUC", "Gobierno Regional de Huánuco"),
    ("ICA", "Gobierno Regional de Ica"),
    ("JUN", "Gobierno Regional de Junín"),
    ("LAL", "Gobierno Regional de La Libertad"),
    ("LAM", "Gobierno Regional de Lambayeque"),
    ("LIP", "Gobierno Regional de Lima (Lima Provincias)"),
    ("LOR", "Gobierno Regional de Loreto"),
    ("MDD", "Gobierno Regional de Madre de Dios"),
    ("MOQ", "Gobierno Regional de Moquegua"),
    ("PAS", "Gobierno Regional de Pasco"),
    ("PIU", "Gobierno Regional de Piura"),
    ("PUN", "Gobierno Regional de Puno"),
    ("SAM", "Gobierno Regional de San Martín"),
    ("TAC", "Gobierno Regional de Tacna"),
    ("TUM", "Gobierno Regional de Tumbes"),
    ("UCA", "Gobierno Regional de Ucayali"),
    ("MML", "Municipalidad Metropolitana de Lima (Lima Metropolitana)"),
]

# The 19 ministries of the early editions, with the commitments recorded by sector up to 2018
# (used as relative demand).
MINISTRIES: list[tuple[str, str, int]] = [
    ("MINSA", "Ministerio de Salud", 1277),
    ("MINEDU", "Ministerio de Educación", 1017),
    ("MTC", "Ministerio de Transportes y Comunicaciones", 693),
    ("MVCS", "Ministerio de Vivienda, Construcción y Saneamiento", 440),
    ("MINAGRI", "Ministerio de Agricultura y Riego", 430),
    ("MEF", "Ministerio de Economía y Finanzas", 310),
    ("PRODUCE", "Ministerio de la Producción", 270),
    ("MINEM", "Ministerio de Energía y Minas", 240),
    ("MINCETUR", "Ministerio de Comercio Exterior y Turismo", 172),
    ("CULTURA", "Ministerio de Cultura", 135),
    ("MIDIS", "Ministerio de Desarrollo e Inclusión Social", 122),
    ("MINAM", "Ministerio del Ambiente", 118),
    ("MTPE", "Ministerio de Trabajo y Promoción del Empleo", 89),
    ("PCM", "Presidencia del Consejo de Ministros", 76),
    ("MINDEF", "Ministerio de Defensa", 69),
    ("MIMP", "Ministerio de la Mujer y Poblaciones Vulnerables", 65),
    ("MININTER", "Ministerio del Interior", 45),
    ("MINJUS", "Ministerio de Justicia y Derechos Humanos", 28),
    ("RREE", "Ministerio de Relaciones Exteriores", 20),
]

# MUNI Ejecutivo: the 19 plus the reconstruction authority.
MUNI_SECTORS = [*MINISTRIES, ("ARCC", "Autoridad para la Reconstrucción con Cambios", 59)]

# The 9 priority sectors of later editions (7th edition onwards).
PRIORITY_SECTORS: list[tuple[str, str]] = [
    ("MINEDU", "Ministerio de Educación"),
    ("MINSA", "Ministerio de Salud"),
    ("MINAGRI", "Ministerio de Agricultura y Riego"),
    ("MTC", "Ministerio de Transportes y Comunicaciones"),
    ("MINAM", "Ministerio del Ambiente"),
    ("PRODUCE", "Ministerio de la Producción"),
    ("MINEM", "Ministerio de Energía y Minas"),
    ("MVCS", "Ministerio de Vivienda, Construcción y Saneamiento"),
    ("ARCC", "Autoridad para la Reconstrucción con Cambios"),
]


def _day(day_id: str, prefix: str) -> Day:
    return Day(
        id=day_id,
        blocks=[
            Block(id=f"{prefix}am", slots=12, tag="morning", start="09:00"),
            Block(id=f"{prefix}pm", slots=12, tag="afternoon", start="14:00"),
        ],
    )


def _weight(priority: int) -> int:
    """Priority 1 (most important topic) weighs 10, then 9, ... down to 1."""
    return max(1, 11 - priority)


def _weighted_sample(
    rng: random.Random, items: list[str], weights: list[float], k: int
) -> list[str]:
    """k distinct items, in draw order (heavier items tend to come first)."""
    pool = list(zip(items, weights, strict=True))
    out: list[str] = []
    for _ in range(min(k, len(pool))):
        total = sum(w for _, w in pool)
        r = rng.random() * total
        acc = 0.0
        for j, (item, w) in enumerate(pool):
            acc += w
            if r <= acc:
                out.append(item)
                pool.pop(j)
                break
        else:
            out.append(pool.pop()[0])
    return out


def gore(seed: int = 0, n_requests: int = 350, time_limit_s: float = 30.0) -> Instance:
    """A GORE Ejecutivo edition with the 19 ministries: 26 delegations, one day of 24 slots
    (09:00 and 14:00 blocks of 12 x 20 min), `n_requests` requests (~5% multisector: delegation +
    2 sectors), weights from the delegation's priority order, a few mandatory priority-1 requests,
    availability windows, one room per sector plus 2 spare, some with a capacity limit."""
    rng = random.Random(seed)
    grid = TimeGrid(slot_minutes=20, days=[_day("2026-11-23", "")])
    n = grid.n_slots
    am, pm = list(grid.block_slots("am")), list(grid.block_slots("pm"))
    sectors = [code for code, _, _ in MINISTRIES]
    demand = [float(c) ** 0.5 for _, _, c in MINISTRIES]  # flattened: every ministry is asked
    delegations = [code for code, _ in REGIONS]

    unavailable: dict[str, list[int]] = {}
    late_ministers = rng.sample(sectors, 3)
    unavailable[late_ministers[0]] = pm[-4:]  # leaves at 16:40
    unavailable[late_ministers[1]] = pm[-6:]  # leaves at 16:00
    unavailable[late_ministers[2]] = am[:3]  # arrives at 10:00
    late_governors = rng.sample(delegations, 3)
    unavailable[late_governors[0]] = am[:6]  # flight lands late: arrives at 11:00
    unavailable[late_governors[1]] = am[:3]
    unavailable[late_governors[2]] = pm[-3:]  # leaves early
    parties = [
        Party(id=code, kind="delegation", name=name, unavailable=unavailable.get(code, []))
        for code, name in REGIONS
    ] + [
        Party(id=code, kind="sector", name=name, unavailable=unavailable.get(code, []))
        for code, name, _ in MINISTRIES
    ]

    base, extra = divmod(n_requests, len(delegations))
    sizes = [base + (1 if k < extra else 0) for k in range(len(delegations))]
    rng.shuffle(sizes)
    n_multi = round(0.05 * n_requests)
    multi_slots = set(rng.sample(range(n_requests), n_multi))
    mandatory_by_sector: dict[str, int] = {}
    requests: list[MeetingRequest] = []
    for d, size in zip(delegations, sizes, strict=True):
        chosen = _weighted_sample(rng, sectors, demand, size)
        for priority, sector in enumerate(chosen, start=1):
            k = len(requests)
            parties_ = [d, sector]
            if k in multi_slots:
                # multisector: usually with MEF (budget), else another ministry
                other = "MEF" if sector != "MEF" and rng.random() < 0.6 else None
                if other is None:
                    other = rng.choice([s for s in sectors if s != sector])
                parties_.append(other)
            mandatory = False
            if priority == 1 and len(parties_) == 2 and mandatory_by_sector.get(sector, 0) < 4:
                mandatory = True
                mandatory_by_sector[sector] = mandatory_by_sector.get(sector, 0) + 1
            requests.append(
                MeetingRequest(
                    id=f"r{k + 1:03d}",
                    parties=parties_,
                    weight=_weight(priority),
                    mandatory=mandatory,
                    attendees=12 if len(parties_) > 2 else rng.randint(6, 9),
                )
            )
    rooms = [
        Room(id=f"sala-{code.lower()}", capacity=rng.choice([8, 10, 12, None]))
        for code, _, _ in MINISTRIES
    ]
    rooms += [Room(id="sala-a", capacity=None), Room(id="sala-b", capacity=8)]
    assert n == 24
    return Instance(
        name=f"gore-s{seed}",
        grid=grid,
        rooms=rooms,
        parties=parties,
        requests=requests,
        options=Options(time_limit_s=time_limit_s, seed=seed),
    )


def muni(
    seed: int = 0, n_munis: int = 600, n_requests: int = 2400, time_limit_s: float = 30.0
) -> Instance:
    """A MUNI Ejecutivo edition: `n_munis` municipalities, the 20 sectors of MUNI_SECTORS, two days
    of 24 slots. A ministry cannot hold 120 meetings in 48 slots alone, so each sector sends
    several teams (equipos), sized to its demand at about 75% load; a request is for one team.
    Parties: municipalities (delegation) and sector teams (sector, named after the ministry).
    About 30% of the mayors can only attend one of the two days. Identical rooms, one per team
    plus 4 spare."""
    rng = random.Random(seed)
    grid = TimeGrid(slot_minutes=20, days=[_day("2026-11-23", "d1-"), _day("2026-11-24", "d2-")])
    n = grid.n_slots
    day1, day2 = list(range(0, 24)), list(range(24, 48))
    codes = [c for c, _, _ in MUNI_SECTORS]
    demand = [float(c) ** 0.5 for _, _, c in MUNI_SECTORS]
    total_demand = sum(demand)
    expected = {c: n_requests * w / total_demand for c, w in zip(codes, demand, strict=True)}
    teams = {c: max(1, math.ceil(expected[c] / (0.75 * n))) for c in codes}
    parties: list[Party] = []
    munis = [f"M{k:04d}" for k in range(1, n_munis + 1)]
    for mid in munis:
        r = rng.random()
        unavailable = day2 if r < 0.15 else day1 if r < 0.30 else []
        parties.append(
            Party(id=mid, kind="delegation", name=f"Municipalidad {mid}", unavailable=unavailable)
        )
    names = {c: name for c, name, _ in MUNI_SECTORS}
    for c in codes:
        for t in range(1, teams[c] + 1):
            parties.append(Party(id=f"{c}-{t}", kind="sector", name=f"{names[c]} - equipo {t}"))
    base, extra = divmod(n_requests, n_munis)
    sizes = [base + (1 if k < extra else 0) for k in range(n_munis)]
    # spread around the mean: move one request from a municipality to another, keeping the total
    for _ in range(n_munis // 2):
        a, b = rng.randrange(n_munis), rng.randrange(n_munis)
        if sizes[a] > 1 and sizes[b] < len(codes):
            sizes[a] -= 1
            sizes[b] += 1
    next_team = dict.fromkeys(codes, 0)
    requests: list[MeetingRequest] = []
    for mid, size in zip(munis, sizes, strict=True):
        for priority, sector in enumerate(_weighted_sample(rng, codes, demand, size), start=1):
            team = next_team[sector] % teams[sector] + 1
            next_team[sector] += 1
            requests.append(
                MeetingRequest(
                    id=f"r{len(requests) + 1:04d}",
                    parties=[mid, f"{sector}-{team}"],
                    weight=_weight(priority),
                )
            )
    n_rooms = sum(teams.values()) + 4
    rooms = [Room(id=f"sala-{k:02d}") for k in range(1, n_rooms + 1)]
    return Instance(
        name=f"muni-s{seed}",
        grid=grid,
        rooms=rooms,
        parties=parties,
        requests=requests,
        options=Options(time_limit_s=time_limit_s, seed=seed),
    )


def seventh_edition(seed: int = 7, time_limit_s: float = 10.0) -> Instance:
    """The size of the 7th GORE Ejecutivo (1-2 March 2018): 196 bilaterals between the 26
    delegations and the 9 priority sectors, on day 1 (24 slots of 20 min from 09:00 and 14:00).
    Each delegation meets 7 or 8 of the 9 sectors (the skipped sectors rotate so every sector has
    21-23 meetings); weights from each delegation's priority order."""
    rng = random.Random(seed)
    grid = TimeGrid(slot_minutes=20, days=[_day("2018-03-01", "")])
    am, pm = list(grid.block_slots("am")), list(grid.block_slots("pm"))
    sectors = [c for c, _ in PRIORITY_SECTORS]
    delegations = [c for c, _ in REGIONS]
    total = 196
    n_skip = len(delegations) * len(sectors) - total  # 38 (delegation, sector) pairs left out
    skips = [sectors[k % len(sectors)] for k in range(n_skip)]
    rng.shuffle(skips)
    skip_of: dict[str, list[str]] = {d: [] for d in delegations}
    order = delegations + rng.sample(delegations, n_skip - len(delegations))
    for d, s in zip(order, skips, strict=True):
        if s not in skip_of[d]:
            skip_of[d].append(s)
        else:
            alt = next(x for x in sectors if x not in skip_of[d])
            skip_of[d].append(alt)
    requests: list[MeetingRequest] = []
    for d in delegations:
        wanted = [s for s in sectors if s not in skip_of[d]]
        rng.shuffle(wanted)
        for priority, s in enumerate(wanted, start=1):
            requests.append(
                MeetingRequest(
                    id=f"{d}-{s}",
                    parties=[d, s],
                    weight=_weight(priority),
                    attendees=rng.randint(6, 10),
                )
            )
    load = {c: sum(1 for r in requests if c in r.parties) for c in sectors}
    leaves_early = min(sectors, key=lambda c: (load[c], c))  # a minister leaves at 17:20
    unavailable = {"LOR": am[:3], "MDD": am[:3], leaves_early: pm[-2:]}
    parties = [
        Party(id=c, kind="delegation", name=n, unavailable=unavailable.get(c, []))
        for c, n in REGIONS
    ] + [
        Party(id=c, kind="sector", name=n, unavailable=unavailable.get(c, []))
        for c, n in PRIORITY_SECTORS
    ]
    rooms = [Room(id=f"sala-{c.lower()}", capacity=12) for c, _ in PRIORITY_SECTORS]
    rooms.append(Room(id="sala-reserva", capacity=12))
    return Instance(
        name="gore-7th-edition",
        grid=grid,
        rooms=rooms,
        parties=parties,
        requests=requests,
        options=Options(time_limit_s=time_limit_s, seed=0),
    )


def muni_multisector(
    seed: int = 0,
    n_munis: int = 600,
    n_requests: int = 2385,
    multisector_share: float = 0.06,
    time_limit_s: float = 30.0,
) -> Instance:
    """A MUNI Ejecutivo edition where each of the 20 sectors of MUNI_SECTORS is one party (its
    minister), two days of 24 slots: far more requests than the ministers can hold, so the
    weight stage chooses. A `multisector_share` of the requests (5-10 %) adds a second sector;
    40 % of the sectors and 15 % of the municipalities are unavailable for part of a day
    (arrive late, leave early or step out mid-block). Identical rooms, one per sector plus 4."""
    rng = random.Random(seed)
    grid = TimeGrid(slot_minutes=20, days=[_day("2026-11-23", "d1-"), _day("2026-11-24", "d2-")])
    codes = [c for c, _, _ in MUNI_SECTORS]
    demand = [float(c) ** 0.5 for _, _, c in MUNI_SECTORS]
    munis = [f"M{k:04d}" for k in range(1, n_munis + 1)]
    blocks = [list(grid.block_slots(blk.id)) for day in grid.days for blk in day.blocks]

    def window() -> list[int]:
        """Part of one block: its first slots, its last ones or a run in the middle."""
        slots = rng.choice(blocks)
        length = rng.randint(2, len(slots) // 2)
        where = rng.choice(("start", "end", "middle"))
        if where == "start":
            return slots[:length]
        if where == "end":
            return slots[-length:]
        first = rng.randrange(1, len(slots) - length)
        return slots[first : first + length]

    unavailable: dict[str, list[int]] = {}
    for party in rng.sample(codes, round(0.4 * len(codes))) + rng.sample(
        munis, round(0.15 * n_munis)
    ):
        away = set(window())
        if rng.random() < 0.3:  # a second window, unless the two would fill a block
            second = away | set(window())
            away = away if any(set(blk) <= second for blk in blocks) else second
        unavailable[party] = sorted(away)
    names = {c: name for c, name, _ in MUNI_SECTORS}
    parties = [
        Party(
            id=m, kind="delegation", name=f"Municipalidad {m}", unavailable=unavailable.get(m, [])
        )
        for m in munis
    ] + [
        Party(id=c, kind="sector", name=names[c], unavailable=unavailable.get(c, [])) for c in codes
    ]
    base, extra = divmod(n_requests, n_munis)
    sizes = [base + (1 if k < extra else 0) for k in range(n_munis)]
    for _ in range(n_munis // 2):
        a, b = rng.randrange(n_munis), rng.randrange(n_munis)
        if sizes[a] > 1 and sizes[b] < len(codes) - 1:
            sizes[a] -= 1
            sizes[b] += 1
    multi = set(rng.sample(range(n_requests), round(multisector_share * n_requests)))
    requests: list[MeetingRequest] = []
    for mid, size in zip(munis, sizes, strict=True):
        chosen = _weighted_sample(rng, codes, demand, size)
        for priority, sector in enumerate(chosen, start=1):
            parties_ = [mid, sector]
            if len(requests) in multi:
                # usually with MEF (budget), else another ministry the municipality did not ask
                others = [c for c in codes if c not in chosen]
                other = "MEF" if "MEF" in others and rng.random() < 0.5 else rng.choice(others)
                parties_.append(other)
            requests.append(
                MeetingRequest(
                    id=f"r{len(requests) + 1:04d}", parties=parties_, weight=_weight(priority)
                )
            )
    rooms = [Room(id=f"sala-{k:02d}") for k in range(1, len(codes) + 5)]
    return Instance(
        name=f"muni-multisector-s{seed}",
        grid=grid,
        rooms=rooms,
        parties=parties,
        requests=requests,
        options=Options(time_limit_s=time_limit_s, seed=seed),
    )


def b2b_constrained(
    base: Instance,
    seed: int = 0,
    n_after: int = 6,
    n_pins: int = 4,
    n_forbidden: int = 8,
    reference_seconds: float = 300.0,
) -> Instance:
    """A B2B instance (bench.b2b.to_instance) with `n_after` precedences between meetings of a
    common participant, `n_pins` meetings pinned to a slot and `n_forbidden` more forbidden
    (participant, slot) pairs. All three are read off one reference schedule of `base` (CP-SAT,
    one worker, `seed`, every hard rule of `base` including its break fairness), which keeps
    every added rule, so the instance stays feasible. Every request being mandatory, the first
    schedule found is the reference: the same seed gives the same instance as long as that
    search stays well inside `reference_seconds` (a time limit it runs into would make the
    reference depend on the machine's speed)."""
    rng = random.Random(seed)
    options = base.options.model_copy(
        update={"stages": ["weight"], "workers": 1, "seed": seed, "time_limit_s": reference_seconds}
    )
    reference = solve(base, options)
    slot = {a.request: a.slot for a in reference.assignments}
    if len(slot) != len(base.requests):
        raise ValueError(f"{base.name}: no complete reference schedule in {reference_seconds} s")
    by_party: dict[str, list[str]] = {}
    for req in base.requests:
        for p in req.parties:
            by_party.setdefault(p, []).append(req.id)
    after: dict[str, list[str]] = {req.id: list(req.after) for req in base.requests}
    candidates = sorted(
        (first, second)
        for ids in by_party.values()
        for first in ids
        for second in ids
        if slot[first] < slot[second]
    )
    for first, second in rng.sample(candidates, min(n_after, len(candidates))):
        if first not in after[second]:
            after[second].append(first)
    pinned = set(rng.sample(sorted(slot), min(n_pins, len(slot))))
    requests = [
        req.model_copy(
            update={
                "after": after[req.id],
                "pin": Pin(slot=slot[req.id]) if req.id in pinned else req.pin,
            }
        )
        for req in base.requests
    ]
    busy: dict[str, set[int]] = {p: {slot[r] for r in ids} for p, ids in by_party.items()}
    idle = sorted(
        (p.id, t)
        for p in base.parties
        for t in range(base.grid.n_slots)
        if t not in busy.get(p.id, set()) and t not in p.unavailable
    )
    extra: dict[str, set[int]] = {}
    for p, t in rng.sample(idle, min(n_forbidden, len(idle))):
        extra.setdefault(p, set()).add(t)
    parties = [
        p.model_copy(update={"unavailable": sorted(set(p.unavailable) | extra.get(p.id, set()))})
        for p in base.parties
    ]
    # validated anew, so the derived instance passes the instance's own checks
    return Instance.model_validate(
        {
            **base.model_dump(),
            "name": f"{base.name}-constrained-s{seed}",
            "requests": [req.model_dump() for req in requests],
            "parties": [p.model_dump() for p in parties],
        }
    )
