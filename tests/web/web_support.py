"""Helpers of the web tests: accounts, a logged-in TestClient, the CSRF token of a page,
and (for the browser tests) axe-core and screenshots."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session
from test_submissions_support import INSIDE

from app.access.models import Role, User
from app.access.principal import Principal
from app.access.users import create_user
from app.submissions.models import TopicListIn
from app.submissions.service import submit_topics

PASSWORD = "contraseña-de-prueba-1"
VENDOR = Path(__file__).parent / "vendor"
REPO = Path(__file__).resolve().parents[2]
# Screenshots of every browser test land here (artifacts); ARTICULA_SCREENSHOTS_TO_DOCS=1
# also copies the key ones to docs/screenshots/.
ARTIFACTS = REPO / "bench" / "out" / "screenshots"
DOCS_SCREENSHOTS = REPO / "docs" / "screenshots"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_user(
    session: Session,
    role: Role | str,
    *,
    email: str | None = None,
    delegation_id: int | None = None,
    sector_id: int | None = None,
    password: str = PASSWORD,
) -> User:
    user = create_user(
        session=session,
        email=email or f"{Role(role).value}.{os.urandom(3).hex()}@prueba.gob.example",
        name=f"Persona {Role(role).value}",
        password=password,
        role=role,
        delegation_id=delegation_id,
        sector_id=sector_id,
    )
    session.commit()
    return user


def csrf_of(client: TestClient, path: str = "/") -> str:
    """The CSRF token in the forms of the page at `path`."""
    response = client.get(path)
    found = _CSRF.search(response.text)
    assert found, f"no CSRF field on {path}: {response.status_code}"
    return found.group(1)


def login(client: TestClient, email: str, password: str = PASSWORD) -> TestClient:
    token = csrf_of(client, "/")
    response = client.post("/", data={"csrf_token": token, "email": email, "password": password})
    assert response.status_code == 303, response.text
    return client


def post_form(client: TestClient, path: str, data: dict[str, Any], *, page: str) -> Any:
    """POST a form as the browser would: with the CSRF token of the page it came from."""
    return client.post(path, data={"csrf_token": csrf_of(client, page), **data})


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def assert_accessible(page: Any, name: str) -> None:
    """Run axe-core on the page; fail on any serious or critical violation."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated by the browser's driver: the pages' CSP refuses an inline <script> tag.
        source = (VENDOR / "axe.min.js").read_text(encoding="utf-8")
        page.evaluate(f"() => {{ {source}\n }}")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
    summary = [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"][:5]],
        }
        for v in bad
    ]
    assert not bad, f"axe-core on {name}: " + json.dumps(summary, ensure_ascii=False, indent=1)


def screenshot(page: Any, name: str, *, key: bool = False) -> Path:
    """Save a full-page screenshot as a test artifact (and in docs/ when asked)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if key and os.environ.get("ARTICULA_SCREENSHOTS_TO_DOCS") == "1":
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_SCREENSHOTS / path.name)
    return path


def submit(session: Session, world: Any, code: str, body: dict[str, Any]) -> None:
    """The delegation `code` submits `body` (a topic list) inside the window."""
    delegation = world.delegations[code]
    submit_topics(
        session=session,
        edition=world.edition,
        delegation=delegation,
        topics_in=TopicListIn.model_validate(body),
        principal=Principal(key_id=0, role=Role.delegation, name=code, delegation_id=delegation.id),
        now=INSIDE,
    )
    session.commit()
