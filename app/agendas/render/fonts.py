"""The TrueType font embedded in every agenda PDF: Lato (SIL Open Font License), shipped by
the `fontpkg-lato` package and read with `importlib.resources`.

Lato covers Latin (with Latin Extended), Greek, Cyrillic and the typographic signs (“ ” – € …),
so names and topics print as typed. Noto Sans and DejaVu were the first choices; on PyPI Noto
Sans ships only as a variable font, which fpdf2 instantiates anew for every document, and no
package ships DejaVu on its own. Lato's static files load in a fraction of that time.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

FAMILY = "lato"
FILES = {"": "Lato-Regular.ttf", "B": "Lato-Bold.ttf", "I": "Lato-Italic.ttf"}


@cache
def font_files() -> dict[str, Path]:
    """Style ("", "B", "I") -> path of its TTF file inside the installed package."""
    root = resources.files("fontpkg_lato") / "files"
    return {style: Path(str(root / name)) for style, name in FILES.items()}
