"""The `solver` library, even when a namespace package of the same name shadows it.

When tests/ is on sys.path (pytest's rootdir conftest), `import solver` can bind to the
namespace package made of tests/solver/ instead of the library (the editable install's
finder runs after the path finder). Load the library from the source tree then, as
tests/solver/conftest.py does; an installed package is used as is.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def _load() -> ModuleType:
    import solver as found

    if getattr(found, "__file__", None) is not None:
        return found
    root = Path(__file__).resolve().parents[2] / "solver"
    spec = importlib.util.spec_from_file_location(
        "solver", root / "__init__.py", submodule_search_locations=[str(root)]
    )
    if spec is None or spec.loader is None:  # pragma: no cover
        raise ImportError("the solver library is not importable")
    module = importlib.util.module_from_spec(spec)
    sys.modules["solver"] = module
    spec.loader.exec_module(module)
    return module


solver = _load()
