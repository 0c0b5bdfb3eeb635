"""Write the JSON Schemas of the instance and the solution: `python -m solver.schema DIR`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .models import Instance, Solution

SCHEMAS = {"instance.schema.json": Instance, "solution.schema.json": Solution}


def render(model: type) -> str:
    """The schema of `model` as stable, pretty JSON text."""
    return json.dumps(model.model_json_schema(), indent=2, sort_keys=True) + "\n"


def write(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, model in SCHEMAS.items():
        path = directory / name
        path.write_text(render(model), encoding="utf-8")
        paths.append(path)
    return paths


if __name__ == "__main__":
    for p in write(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/schema")):
        print(p)
