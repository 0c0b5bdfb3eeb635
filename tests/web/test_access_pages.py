"""Log in, log out, change of password, the session cookie, CSRF, the login throttle and
the HTML error pages, over HTTP (no browser needed)."""

from __future__ import annotations

import os
import stat

from fastapi.testclient import TestClient
from sqlmodel import func, select
from typer.testing import CliRunner
from web_support import PASSWORD, csrf_of, login, make_user, post_form

from app.access.models import ApiKey, LoginFailure, Role, User
from app.cli import cli
from app.core.config import Settings
from app.main import create_app
from app.web.security import SESSION_COOKIE, secret_key, secret_key_path


def _set_cookie(response) -> str:
    return response.headers.get("set-cookie", "")


def test_login_page_sets_a_signed_httponly_lax_cookie(client, session):
    response = client.get("/")
    assert response.status_code == 200 and "text/html" in response.headers["content-type"]
    assert "Iniciar sesión" in response.text and 'lang="es-PE"' in response.text
    cookie = _set_cookie(response).lower()
    assert cookie.startswith(SESSION_COOKIE) and "httponly" in cookie
    assert "samesite=lax" in cookie and "secure" not in cookie


def test_the_cookie_is_secure_when_configured(settings, engine):
    app = create_app(settings.model_copy(update={"session_cookie_secure": True}), engine=engine)
    with TestClient(app, base_url="https://testserver") as client:
        assert "; secure" in _set_cookie(client.get("/")).lower()


def test_each_role_lands_on_its_home(client, session):
    sd = make_user(session, Role.sd_admin)
    token = csrf_of(client)
    r = client.post("/", data={"csrf_token": token, "email": sd.email, "password": PASSWORD})
    assert r.status_code == 303 and r.headers["location"] == "/editions"
    assert client.get("/").headers["location"] == "/editions"  # logged in: no form again

    rapporteur = make_user(session, Role.rapporteur)
    other = TestClient(client.app, follow_redirects=False)
    login(other, rapporteur.email)
    assert other.get("/").headers["location"] == "/inicio"
    assert other.get("/inicio").headers["location"] == "/rapporteur"


def test_a_wrong_password_is_a_spanish_message_and_is_counted(client, session):
    user = make_user(session, Role.sd_admin)
    r = post_form(client, "/", {"email": user.email, "password": "otra-cosa-123"}, page="/")
    assert r.status_code == 401 and "Correo o contraseña incorrectos." in r.text
    assert f'value="{user.email}"' in r.text  # the e-mail stays in the form
    assert session.exec(select(func.count()).select_from(LoginFailure)).one() == 1
    assert client.get("/password").status_code == 303  # still not logged in


def test_next_keeps_only_local_paths(client, session):
    user = make_user(session, Role.sd_admin)
    r = post_form(
        client,
        "/",
        {"email": user.email, "password": PASSWORD, "next": "https://evil.example/x"},
        page="/",
    )
    assert r.headers["location"] == "/editions"
    assert client.get("/?next=/password").headers["location"] == "/password"


def test_pages_need_a_session(client):
    r = client.get("/password")
    assert r.status_code == 303 and r.headers["location"] == "/?next=/password"
    r = client.get("/password", headers={"HX-Request": "true"})
    assert r.headers["HX-Redirect"] == "/?next=/password"


def test_a_form_without_its_csrf_token_is_403_and_changes_nothing(client, session):
    user = make_user(session, Role.sd_admin)
    r = client.post("/", data={"email": user.email, "password": PASSWORD})
    assert r.status_code == 403 and "text/html" in r.headers["content-type"]
    assert "no proviene de esta aplicación" in r.text
    assert client.get("/password").status_code == 303  # not logged in

    login(client, user.email)
    before = session.get(User, user.id).password_hash
    data = {
        "current_password": PASSWORD,
        "new_password": "otra-contraseña-9",
        "confirm_password": "otra-contraseña-9",
    }
    for sent in ({}, {"csrf_token": "falso"}):
        r = client.post("/password", data=data | sent)
        assert r.status_code == 403
    session.expire_all()
    assert session.get(User, user.id).password_hash == before
    # the HTMX header is accepted in place of the field
    token = csrf_of(client, "/password")
    r = client.post("/password", data=data, headers={"X-CSRF-Token": token})
    assert r.status_code == 303


def test_logout_ends_the_session(client, session):
    user = make_user(session, Role.sd_admin)
    login(client, user.email)
    r = post_form(client, "/logout", {}, page="/password")
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert client.get("/password").status_code == 303
    assert "Cerró su sesión." in client.get("/").text


def test_changing_the_password_ends_the_other_sessions(client, session):
    user = make_user(session, Role.sd_admin)
    other = TestClient(client.app, follow_redirects=False)
    login(client, user.email)
    login(other, user.email)

    wrong = post_form(
        client,
        "/password",
        {
            "current_password": "no-es-esta-1",
            "new_password": "x" * 12,
            "confirm_password": "x" * 12,
        },
        page="/password",
    )
    assert wrong.status_code == 422 and "La contraseña actual no es correcta." in wrong.text
    assert 'aria-invalid="true"' in wrong.text
    short = post_form(
        client,
        "/password",
        {"current_password": PASSWORD, "new_password": "corta", "confirm_password": "corta"},
        page="/password",
    )
    assert short.status_code == 422 and "al menos 10 caracteres" in short.text

    new = "una-contraseña-nueva-2"
    ok = post_form(
        client,
        "/password",
        {"current_password": PASSWORD, "new_password": new, "confirm_password": new},
        page="/password",
    )
    assert ok.status_code == 303
    assert client.get("/password").status_code == 200  # this session goes on
    assert other.get("/password").status_code == 303  # the other one ended
    login(TestClient(client.app, follow_redirects=False), user.email, new)


def test_disabling_an_account_ends_its_sessions(client, session, database_url, monkeypatch):
    user = make_user(session, Role.sd_admin)
    login(client, user.email)
    monkeypatch.setenv("ARTICULA_DATABASE_URL", database_url)
    r = CliRunner().invoke(cli, ["users", "disable", user.email])
    assert r.exit_code == 0, r.output
    assert client.get("/password").status_code == 303
    r = post_form(client, "/", {"email": user.email, "password": PASSWORD}, page="/")
    assert r.status_code == 401
    session.expire_all()
    assert session.get(ApiKey, user.key_id).revoked_at is not None


def test_the_throttle_holds_per_account_across_processes(settings, engine, session):
    user = make_user(session, Role.sd_admin)
    first = TestClient(create_app(settings, engine=engine), follow_redirects=False)
    for _ in range(settings.login_max_failures_per_account):
        r = post_form(first, "/", {"email": user.email, "password": "mala-123456"}, page="/")
        assert r.status_code == 401
    # another application instance (another process) sees the same stored failures
    second = TestClient(create_app(settings, engine=engine), follow_redirects=False)
    r = post_form(second, "/", {"email": user.email, "password": PASSWORD}, page="/")
    assert r.status_code == 429 and "Demasiados intentos fallidos" in r.text
    assert "text/html" in r.headers["content-type"]
    assert second.get("/password").status_code == 303  # the right password did not log in


def test_the_throttle_holds_per_address(settings, engine, session):
    app = create_app(
        settings.model_copy(update={"login_max_failures_per_address": 3}), engine=engine
    )
    client = TestClient(app, follow_redirects=False)
    for n in range(3):
        r = post_form(client, "/", {"email": f"nadie{n}@x.example", "password": "x"}, page="/")
        assert r.status_code == 401
    user = make_user(session, Role.sd_admin)  # an account with no failure of its own
    r = post_form(client, "/", {"email": user.email, "password": PASSWORD}, page="/")
    assert r.status_code == 429


def test_a_successful_login_clears_the_account_failures(client, session):
    user = make_user(session, Role.sd_admin)
    for _ in range(2):
        post_form(client, "/", {"email": user.email, "password": "mala-123456"}, page="/")
    login(client, user.email)
    assert session.exec(select(func.count()).select_from(LoginFailure)).one() == 0


def test_error_pages_are_html_and_the_api_stays_json(client, session):
    r = client.get("/no-existe")
    assert r.status_code == 404 and "text/html" in r.headers["content-type"]
    assert "Página no encontrada" in r.text and "Traceback" not in r.text
    r = client.get("/api/no-existe")
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"


def test_docs_and_assets_are_served_locally(client):
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in docs.text
    assert "cdn" not in docs.text.lower()
    for asset in (
        "vendor/swagger-ui/swagger-ui-bundle.js",
        "vendor/swagger-ui/swagger-ui.css",
        "vendor/htmx/htmx.min.js",
        "vendor/pico/pico.min.css",
        "vendor/uplot/uPlot.iife.min.js",
        "app.css",
    ):
        assert client.get(f"/static/{asset}").status_code == 200, asset
    page = client.get("/")
    assert "http://" not in page.text.replace('"http://www.w3.org', "")  # no external URL


def test_without_a_configured_key_one_is_generated_once(tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", _env_file=None)  # type: ignore[call-arg]
    path = secret_key_path(settings)
    assert path == tmp_path / "articula.secret" and not path.exists()
    key = secret_key(settings)
    assert len(key) >= 32 and path.exists()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert secret_key(settings) == key  # the same key for every later process
    configured = settings.model_copy(update={"secret_key": "k" * 40})
    assert secret_key(configured) == "k" * 40


def test_users_cli(session, database_url, monkeypatch):
    monkeypatch.setenv("ARTICULA_DATABASE_URL", database_url)
    runner = CliRunner()
    args = ["users", "create", "--email", "Ana@PCM.gob.example", "--name", "Ana", "--role"]
    r = runner.invoke(cli, [*args, "sd_admin", "--password", "una-clave-larga-1"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli, [*args, "sd_admin", "--password", "una-clave-larga-1"])
    assert r.exit_code == 1 and "Ya existe" in r.output
    r = runner.invoke(cli, [*args[:3], "x@y.example", *args[4:], "sd_admin", "--password", "corta"])
    assert r.exit_code == 1 and "al menos 10" in r.output
    r = runner.invoke(
        cli,
        [*args[:3], "d@y.example", *args[4:], "delegation", "--password", "una-clave-larga-1"],
    )
    assert r.exit_code == 1 and "ámbito" in r.output
    r = runner.invoke(
        cli,
        ["users", "create", "--email", "p@y.example", "--name", "P", "--role", "rapporteur"],
        input="una-clave-larga-1\nuna-clave-larga-1\n",
    )
    assert r.exit_code == 0, r.output
    listed = runner.invoke(cli, ["users", "list"]).output
    assert "ana@pcm.gob.example" in listed and "2 account(s)." in listed
    assert runner.invoke(cli, ["users", "disable", "ana@pcm.gob.example"]).exit_code == 0
    assert "1 account(s)." in runner.invoke(cli, ["users", "list"]).output
    assert "2 account(s)." in runner.invoke(cli, ["users", "list", "--all"]).output
    assert runner.invoke(cli, ["users", "disable", "nadie@y.example"]).exit_code == 1
