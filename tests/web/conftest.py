"""Fixtures of the web tests.

HTTP-level tests (TestClient, logged in per role) run everywhere, on the same migrated
database as tests/app (SQLite, or PostgreSQL with ARTICULA_TEST_DATABASE_URL). Browser tests
drive the system Chromium with Playwright against a real uvicorn process on a free port,
serving a migrated SQLite file with the demo loaded; they skip, saying why, when Chromium
or Playwright is missing.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from dbutil import create_postgres_database, drop_postgres_database, is_postgres, sqlite_url
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import MetaData, delete
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from test_submissions_support import make_world, sample_list
from web_support import PASSWORD, chromium_path, login, make_user, submit

from app.access.models import Role
from app.access.principal import Principal
from app.core import clock
from app.core.config import Settings
from app.core.db import make_engine
from app.core.migrations import upgrade
from app.demo import load_demo
from app.editions.models import Delegation, Edition, EditionStatus, Sector
from app.editions.service import transition
from app.main import create_app
from app.submissions.models import TopicListIn
from app.submissions.service import submit_topics

SECRET = "clave-secreta-de-las-pruebas-web-0123456789"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = os.environ.get("ARTICULA_TEST_DATABASE_URL")
    if server and is_postgres(server):
        url = create_postgres_database(server)
        try:
            upgrade(url)
            yield url
        finally:
            drop_postgres_database(url)
    else:
        url = server or sqlite_url(tmp_path_factory.mktemp("webdb"))
        upgrade(url)
        yield url


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        jobs_periodic=False,
        secret_key=SECRET,
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def _tables(engine: Engine) -> list:
    metadata = MetaData()
    metadata.reflect(engine)
    return [t for t in reversed(metadata.sorted_tables) if t.name != "alembic_version"]


@pytest.fixture(autouse=True)
def _clean_tables(request: pytest.FixtureRequest) -> Iterator[None]:
    if "engine" not in request.fixturenames:  # browser tests use the live server's database
        yield
        return
    engine: Engine = request.getfixturevalue("engine")
    tables = request.getfixturevalue("_tables")
    yield
    with engine.begin() as conn:
        for table in tables:
            conn.execute(delete(table))


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def app(settings: Settings, engine: Engine) -> FastAPI:
    return create_app(settings, engine=engine)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """An anonymous browser: cookies kept, redirects not followed."""
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as client:
        yield client


# --------------------------------------------------------------------------- browser


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """uvicorn on a free port over a migrated SQLite file with the demo and one account per
    role (password PASSWORD); yields the base URL and the accounts' e-mails."""
    folder: Path = tmp_path_factory.mktemp("live")
    url = sqlite_url(folder, "live.db")
    upgrade(url)
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        load_demo(session=session)
        edition = session.exec(select(Edition)).one()
        for code in ("CUS", "JUN", "PUN"):
            delegation = session.exec(select(Delegation).where(Delegation.code == code)).one()
            submit_topics(
                session=session,
                edition=edition,
                delegation=delegation,
                topics_in=TopicListIn.model_validate(sample_list(f"{code}: ")),
                principal=Principal(
                    key_id=0, role=Role.delegation, name=code, delegation_id=delegation.id
                ),
                now=clock.now(),
            )
        transition(session=session, edition=edition, to_status=EditionStatus.in_review)
        cusco = session.exec(select(Delegation).where(Delegation.code == "CUS")).one()
        minsa = session.exec(select(Sector).where(Sector.code == "MINSA")).one()
        accounts = {
            "sd": make_user(session, Role.sd_admin, email="sd.prueba@pcm.gob.example").email,
            "delegation": make_user(
                session, Role.delegation, email="cusco.prueba@gob.example", delegation_id=cusco.id
            ).email,
            "sector": make_user(
                session, Role.sector, email="minsa.prueba@gob.example", sector_id=minsa.id
            ).email,
        }
    engine.dispose()
    port = _free_port()
    env = os.environ | {
        "ARTICULA_DATABASE_URL": url,
        "ARTICULA_SECRET_KEY": SECRET,
        "ARTICULA_JOBS_PERIODIC": "false",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "app.main:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=folder,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None:
                raise RuntimeError("uvicorn exited before answering")
            time.sleep(0.1)
        else:
            raise RuntimeError("uvicorn did not answer /health")
        yield {
            "url": base,
            "accounts": accounts,
            "password": PASSWORD,
            "database_url": url,
            "edition_id": edition.id,
        }
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = chromium_path()
    if executable is None:
        pytest.skip("browser tests need Debian's chromium package (apt-get install chromium)")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="browser tests need Playwright for Python"
    )
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any, live_server: dict[str, Any]) -> Iterator[Any]:
    context = browser.new_context(
        base_url=live_server["url"], viewport={"width": 1280, "height": 900}, locale="es-PE"
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def world(session: Session) -> Any:
    """An edition open for submissions with CUS and JUN, MINSA/MINEDU/MTC; CUS submitted
    the sample list (five topics)."""
    world = make_world(session)
    submit(session, world, "CUS", sample_list())
    session.refresh(world.edition)
    return world


@pytest.fixture
def login_as(app: FastAPI, session: Session) -> Any:
    """login_as(role, world=None): a TestClient logged in as a new account of that role
    (delegation and sector accounts belong to CUS and MINSA of the world)."""

    def _login(role: Role | str, world: Any = None) -> TestClient:
        role = Role(role)
        user = make_user(
            session,
            role,
            delegation_id=world.delegations["CUS"].id if role == Role.delegation else None,
            sector_id=world.sectors["MINSA"].id if role == Role.sector else None,
        )
        client = TestClient(app, raise_server_exceptions=False, follow_redirects=False)
        return login(client, user.email)

    return _login
