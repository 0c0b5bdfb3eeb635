"""Demo catalogue: the 26 GORE Ejecutivo delegations and the sectors of the Executive.

Delegations: the 24 departments plus Callao (25 regional governments, with the Lima
department split into Lima Provincias, the regional government, and Lima Metropolitana, the
Metropolitan Municipality of Lima, MML, which takes part as the 26th delegation). Ubigeo is the
INEI department code (MML: province 1501).

Sectors: in 2017-2018 Peru's Council of Ministers had 19 portfolios: the Presidency of the
Council of Ministers (PCM, with ministerial rank; it hosts the summit but its own bodies also
take on commitments: 76 up to 2018) and 18 ministries. The GORE Ejecutivo report says
"participan los 19 ministerios", so all 19 are here, plus ARCC, the Reconstruction with
Changes authority (an autonomous body attached to PCM), for 20 sectors. Later editions kept
only the 9 priority sectors in PRIORITY_SECTORS.

Contact addresses are fictitious, on the reserved `.example` top-level domain.
Names of governors, mayors and ministers are fictional demo data (`demo_person`), made of
common Peruvian given names and surnames so the agendas print a name where the real ones go;
they name no real office holder.
"""

from __future__ import annotations

# code, name, kind, ubigeo, e-mail slug
DELEGATIONS: list[tuple[str, str, str, str, str]] = [
    ("AMA", "Gobierno Regional de Amazonas", "regional_government", "01", "amazonas"),
    ("ANC", "Gobierno Regional de Áncash", "regional_government", "02", "ancash"),
    ("APU", "Gobierno Regional de Apurímac", "regional_government", "03", "apurimac"),
    ("ARE", "Gobierno Regional de Arequipa", "regional_government", "04", "arequipa"),
    ("AYA", "Gobierno Regional de Ayacucho", "regional_government", "05", "ayacucho"),
    ("CAJ", "Gobierno Regional de Cajamarca", "regional_government", "06", "cajamarca"),
    ("CAL", "Gobierno Regional del Callao", "regional_government", "07", "callao"),
    ("CUS", "Gobierno Regional del Cusco", "regional_government", "08", "cusco"),
    ("HVC", "Gobierno Regional de Huancavelica", "regional_government", "09", "huancavelica"),
    ("HUC", "Gobierno Regional de Huánuco", "regional_government", "10", "huanuco"),
    ("ICA", "Gobierno Regional de Ica", "regional_government", "11", "ica"),
    ("JUN", "Gobierno Regional de Junín", "regional_government", "12", "junin"),
    ("LAL", "Gobierno Regional de La Libertad", "regional_government", "13", "lalibertad"),
    ("LAM", "Gobierno Regional de Lambayeque", "regional_government", "14", "lambayeque"),
    ("LIP", "Gobierno Regional de Lima (Lima Provincias)", "regional_government", "15", "lima"),
    ("LIM", "Municipalidad Metropolitana de Lima", "metropolitan_municipality", "1501", "mml"),
    ("LOR", "Gobierno Regional de Loreto", "regional_government", "16", "loreto"),
    ("MDD", "Gobierno Regional de Madre de Dios", "regional_government", "17", "madrededios"),
    ("MOQ", "Gobierno Regional de Moquegua", "regional_government", "18", "moquegua"),
    ("PAS", "Gobierno Regional de Pasco", "regional_government", "19", "pasco"),
    ("PIU", "Gobierno Regional de Piura", "regional_government", "20", "piura"),
    ("PUN", "Gobierno Regional de Puno", "regional_government", "21", "puno"),
    ("SAM", "Gobierno Regional de San Martín", "regional_government", "22", "sanmartin"),
    ("TAC", "Gobierno Regional de Tacna", "regional_government", "23", "tacna"),
    ("TUM", "Gobierno Regional de Tumbes", "regional_government", "24", "tumbes"),
    ("UCA", "Gobierno Regional de Ucayali", "regional_government", "25", "ucayali"),
]

REGION_OF = {
    "LIP": "Lima",
    "LIM": "Lima",
}

# code, name, e-mail slug
SECTORS: list[tuple[str, str, str]] = [
    ("PCM", "Presidencia del Consejo de Ministros", "pcm"),
    ("RREE", "Ministerio de Relaciones Exteriores", "rree"),
    ("MINDEF", "Ministerio de Defensa", "mindef"),
    ("MEF", "Ministerio de Economía y Finanzas", "mef"),
    ("MININTER", "Ministerio del Interior", "mininter"),
    ("MINJUS", "Ministerio de Justicia y Derechos Humanos", "minjus"),
    ("MINEDU", "Ministerio de Educación", "minedu"),
    ("MINSA", "Ministerio de Salud", "minsa"),
    ("MINAGRI", "Ministerio de Agricultura y Riego", "minagri"),
    ("MTPE", "Ministerio de Trabajo y Promoción del Empleo", "mtpe"),
    ("PRODUCE", "Ministerio de la Producción", "produce"),
    ("MINCETUR", "Ministerio de Comercio Exterior y Turismo", "mincetur"),
    ("MINEM", "Ministerio de Energía y Minas", "minem"),
    ("MTC", "Ministerio de Transportes y Comunicaciones", "mtc"),
    ("MVCS", "Ministerio de Vivienda, Construcción y Saneamiento", "vivienda"),
    ("MIMP", "Ministerio de la Mujer y Poblaciones Vulnerables", "mimp"),
    ("MINAM", "Ministerio del Ambiente", "minam"),
    ("CULTURA", "Ministerio de Cultura", "cultura"),
    ("MIDIS", "Ministerio de Desarrollo e Inclusión Social", "midis"),
    ("ARCC", "Autoridad para la Reconstrucción con Cambios", "rcc"),
]

# The 9 priority sectors kept by the later editions.
PRIORITY_SECTORS = [
    "MINEDU",
    "MINSA",
    "MINAGRI",
    "MTC",
    "MINAM",
    "PRODUCE",
    "MINEM",
    "MVCS",
    "ARCC",
]

EDITION_NAME = "12.º GORE Ejecutivo"
VENUE = "Centro de Convenciones de Lima"


_GIVEN = (
    "Ana",
    "Luis",
    "Rosa",
    "Jorge",
    "Carmen",
    "Víctor",
    "Elena",
    "Raúl",
    "Lucía",
    "César",
    "Norma",
    "Óscar",
    "Pilar",
    "Hugo",
    "Teresa",
    "Julio",
    "Gladys",
    "Walter",
    "Flor",
    "Edwin",
)
_SURNAMES = (
    "Quispe",
    "Mamani",
    "Huamán",
    "Flores",
    "Rojas",
    "Chávez",
    "Ramos",
    "Vargas",
    "Torres",
    "Mendoza",
    "Condori",
    "Ñahui",
    "Salazar",
    "Cárdenas",
    "Espinoza",
    "Paredes",
    "Castillo",
)


def demo_person(index: int) -> str:
    """A fictional full name (demo data), the same for the same index."""
    given = _GIVEN[index % len(_GIVEN)]
    first = _SURNAMES[(index * 7) % len(_SURNAMES)]
    second = _SURNAMES[(index * 11 + 3) % len(_SURNAMES)]
    return f"{given} {first} {second}"
