"""Make `solver` the library, not this test folder.

tests/ is on sys.path (tests/conftest.py sits there), so when another test directory
imports `solver` first, Python may bind the name to a namespace package made of this
folder. Then the library's __init__ never runs; load it here, keeping the submodules
already imported (so their classes stay the same objects).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if sys.path[0] != str(ROOT):
    sys.path.insert(0, str(ROOT))

_loaded = sys.modules.get("solver")
if _loaded is not None and getattr(_loaded, "__file__", None) is None:
    _spec = importlib.util.spec_from_file_location(
        "solver", ROOT / "solver" / "__init__.py", submodule_search_locations=[str(ROOT / "solver")]
    )
    _module = importlib.util.module_from_spec(_spec)
    sys.modules["solver"] = _module
    _spec.loader.exec_module(_module)
