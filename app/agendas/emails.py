"""The e-mails of a publication, in Spanish: one structure (`EmailBody`) rendered as the
plain-text part and as the HTML part (a small Jinja2 template, autoescaped).

Grammar: the greeting contracts the article the party's name takes ("del Ministerio de
Salud", "de la Municipalidad Metropolitana de Lima"), and a room is named by its own name
("Sala MINSA"), never prefixed with the word "sala" again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jinja2 import Environment

# First word of a party's name -> its article after "de" ("del" / "de la").
_FEMININE = frozenset(
    {"presidencia", "autoridad", "municipalidad", "superintendencia", "secretaría", "oficina"}
)
_MASCULINE = frozenset(
    {"ministerio", "gobierno", "organismo", "consejo", "instituto", "servicio", "programa"}
)


def of_name(name: str) -> str:
    """`del Ministerio de Salud`, `de la Municipalidad Metropolitana de Lima`, `de Cusco`."""
    first = name.split(" ", 1)[0].lower()
    if first in _MASCULINE:
        return f"del {name}"
    if first in _FEMININE:
        return f"de la {name}"
    return f"de {name}"


def greeting(name: str, code: str) -> str:
    return f"Estimado equipo {of_name(name)} ({code}):"


SIGNATURE = (
    "Atentamente,",
    "Equipo de articulación",
    "Secretaría de Descentralización",
    "Presidencia del Consejo de Ministros",
)
FOOTER = "Este mensaje fue generado por Articula; las respuestas llegan al equipo de articulación."


@dataclass(frozen=True)
class Section:
    heading: str
    items: list[str]


@dataclass
class EmailBody:
    greeting: str
    intro: list[str]
    sections: list[Section] = field(default_factory=list)
    closing: list[str] = field(default_factory=list)

    def text(self) -> str:
        lines = [self.greeting, "", *_paragraphs(self.intro)]
        for s in self.sections:
            lines += ["", f"{s.heading}:", *(f"- {item}" for item in s.items)]
        if self.closing:
            lines += ["", *_paragraphs(self.closing)]
        lines += ["", *SIGNATURE, "", FOOTER]
        return "\n".join(lines)

    def html(self) -> str:
        return _HTML.render(body=self, signature=SIGNATURE, footer=FOOTER)


def _paragraphs(paragraphs: list[str]) -> list[str]:
    out: list[str] = []
    for i, p in enumerate(paragraphs):
        out += ([""] if i else []) + [p]
    return out


_HTML = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True).from_string(
    """<!DOCTYPE html>
<html lang="es">
<head><meta charset="utf-8"><title>{{ body.greeting }}</title></head>
<body style="font-family: Arial, Helvetica, sans-serif; color: #212121; max-width: 42em;">
<p>{{ body.greeting }}</p>
{% for p in body.intro %}
<p>{{ p }}</p>
{% endfor %}
{% for s in body.sections %}
<h2 style="font-size: 1.05em; color: #8b1a1a;">{{ s.heading }}</h2>
<ul>
{% for item in s.items %}
  <li>{{ item }}</li>
{% endfor %}
</ul>
{% endfor %}
{% for p in body.closing %}
<p>{{ p }}</p>
{% endfor %}
<p>{% for line in signature %}{{ line }}{% if not loop.last %}<br>{% endif %}{% endfor %}</p>
<p style="font-size: 0.85em; color: #646464;">{{ footer }}</p>
</body>
</html>
"""
)
