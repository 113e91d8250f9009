"""Access: the password gate, st.login, the open-to-network warning, the CLI hash."""

from __future__ import annotations

import base64
import hashlib

import pytest
from streamlit import config as streamlit_config

from generation import access, config
from generation.access import (
    InvalidPasswordHash,
    hash_password,
    sign_in,
    verify_password,
)
from generation.errors import InvalidRequest
from tests.conftest import REPO_ROOT
from tests.reliability.conftest import open_app, page_text, request_address, run_cli
from views.access import LOGIN_NEEDS_AUTHLIB, OPEN_TO_NETWORK, WRONG_PASSWORD

PASSWORD = "correct horse battery"
PAGES = [
    "pages/dashboard.py",
    "pages/explore.py",
    "pages/generate.py",
    "pages/history.py",
    "pages/settings.py",
]


@pytest.fixture(scope="module")
def password_hash() -> str:
    return hash_password(PASSWORD)


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the delays sign_in applies instead of waiting for them."""
    recorded: list[float] = []
    monkeypatch.setattr(access, "sleep", recorded.append)
    return recorded


@pytest.fixture
def password_set(monkeypatch: pytest.MonkeyPatch, password_hash: str, engine) -> str:
    monkeypatch.setenv("APP_PASSWORD_HASH", password_hash)
    monkeypatch.setenv("SIGN_IN_DELAY_SECONDS", "1.5")
    config.get_settings.cache_clear()
    return password_hash


def signed_in_form(app) -> None:
    assert [title.value for title in app.title] == ["Sign in"]
    assert [field.label for field in app.text_input] == ["Password"]
    assert app.text_input[0].proto.type == app.text_input[0].proto.PASSWORD


def submit_password(app, password: str):
    app.text_input[0].input(password)
    app.get("form_submit_button")[0].click()
    return app.run()


def test_hash_round_trip_and_salt():
    first = hash_password(PASSWORD)
    second = hash_password(PASSWORD)

    assert first.startswith("scrypt$16384$8$1$")
    assert first != second
    assert verify_password(PASSWORD, first)
    assert verify_password(PASSWORD, second)
    assert not verify_password(PASSWORD + " ", first)
    assert not verify_password("", first)
    assert PASSWORD not in first


def test_pbkdf2_hash_is_read():
    salt = b"0123456789abcdef"
    digest = hashlib.pbkdf2_hmac("sha256", PASSWORD.encode(), salt, 200_000)

    def encode(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    stored = f"pbkdf2_sha256$200000${encode(salt)}${encode(digest)}"

    assert verify_password(PASSWORD, stored)
    assert not verify_password("wrong password", stored)


@pytest.mark.parametrize(
    "stored",
    [
        "",
        PASSWORD,
        "scrypt$16384$8$1$c2FsdA",
        "scrypt$1000$8$1$c2FsdA$aGFzaA",
        "scrypt$16384$8$1$$aGFzaA",
        "pbkdf2_sha256$10$c2FsdA$aGFzaA",
        "md5$abc$def",
        "scrypt$x$8$1$c2FsdA$aGFzaA",
    ],
)
def test_malformed_hash_never_matches(stored):
    with pytest.raises(InvalidPasswordHash) as raised:
        verify_password(PASSWORD, stored)

    assert "python -m generation hash-password" in str(raised.value)


def test_short_password_is_rejected():
    with pytest.raises(InvalidRequest) as raised:
        hash_password("short")

    assert raised.value.message == "The password has 5 characters; use at least 8."


def test_wrong_password_waits_the_delay(password_set, sleeps):
    settings = config.get_settings()

    assert not sign_in("guess", settings)
    assert not sign_in("", settings)
    assert sign_in(PASSWORD, settings)

    assert sleeps == [1.5, 1.5]


@pytest.mark.parametrize("url_path", ["", "explore", "generate", "history", "settings"])
def test_locked_app_shows_only_sign_in(password_set, url_path):
    app = open_app(query_params={"job": "1"})
    request_address(app, url_path)

    assert not app.exception
    signed_in_form(app)
    assert not app.sidebar.button
    assert not app.dataframe
    assert not app.get("form_submit_button")[1:]


def test_wrong_password_is_rejected_with_message(password_set, sleeps):
    app = open_app()

    submit_password(app, "not the password")

    assert not app.exception
    assert [error.value for error in app.error] == [WRONG_PASSWORD]
    signed_in_form(app)
    assert sleeps == [1.5]
    assert app.session_state.get("access-signed-in") is None


def test_right_password_opens_every_page(password_set, sleeps):
    app = open_app()
    submit_password(app, "not the password")

    submit_password(app, PASSWORD)

    assert not app.exception
    assert not app.error
    assert app.title[0].value == "Dashboard"
    assert [button.label for button in app.sidebar.button] == ["Sign out"]
    assert sleeps == [1.5]
    for page in PAGES:
        app.switch_page(page).run()
        assert not app.exception
        assert app.title[0].value != "Sign in"
        assert [button.label for button in app.sidebar.button] == ["Sign out"]


def test_sign_out_locks_again(password_set, sleeps):
    app = open_app()
    submit_password(app, PASSWORD)
    app.switch_page("pages/generate.py").run()

    app.sidebar.button[0].click().run()

    assert not app.exception
    signed_in_form(app)
    request_address(app, "history")
    signed_in_form(app)


def test_malformed_hash_setting_keeps_app_closed(monkeypatch, engine, sleeps):
    monkeypatch.setenv("APP_PASSWORD_HASH", "my plain password")
    config.get_settings.cache_clear()

    app = request_address(open_app(), "generate")

    assert not app.exception
    assert [title.value for title in app.title] == ["Sign in"]
    assert not app.text_input
    assert len(app.error) == 1
    assert app.error[0].value.startswith(
        "APP_PASSWORD_HASH is invalid: it is not an scrypt or pbkdf2_sha256 hash, "
        "so nobody can sign in."
    )


def test_settings_page_shows_hash_as_set(password_set, sleeps):
    app = open_app()
    submit_password(app, PASSWORD)

    app.switch_page("pages/settings.py").run()

    tables = [table.value for table in app.dataframe]
    settings_table = next(t for t in tables if "setting" in t.columns)
    rows = settings_table.set_index("setting")
    assert rows.loc["APP_PASSWORD_HASH", "value"] == "set"
    for table in tables:
        assert password_set not in table.to_csv()
    assert password_set not in page_text(app)


AUTH_SECRETS = {
    "auth": {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "not-a-real-secret",
        "client_id": "client",
        "client_secret": "secret",
        "server_metadata_url": "http://localhost:9/.well-known/openid-configuration",
    }
}


def test_login_section_gates_pages(engine):
    app = open_app(secrets=AUTH_SECRETS, user={"is_logged_in": False})
    request_address(app, "generate")

    assert not app.exception
    assert [title.value for title in app.title] == ["Sign in"]
    assert not app.text_input
    try:
        import authlib  # noqa: F401
    except ImportError:
        assert [error.value for error in app.error] == [LOGIN_NEEDS_AUTHLIB]
    else:
        assert [button.label for button in app.button] == ["Sign in"]


def test_login_user_sees_pages_and_sign_out(engine):
    user = {"is_logged_in": True, "email": "analyst@example.com", "name": "An Analyst"}

    app = open_app("pages/generate.py", secrets=AUTH_SECRETS, user=user)

    assert not app.exception
    assert app.title[0].value == "Generate a report"
    assert app.sidebar.caption[0].value == "Signed in as analyst@example.com"
    assert [button.label for button in app.sidebar.button] == ["Sign out"]


@pytest.fixture
def server_address():
    """Set server.address for one test and restore it."""
    before = streamlit_config.get_option("server.address")

    def set_address(value):
        streamlit_config.set_option("server.address", value)

    yield set_address
    streamlit_config.set_option("server.address", before)


@pytest.mark.parametrize("address", ["0.0.0.0", "192.168.1.20", None])
def test_open_app_on_network_warns(engine, server_address, address):
    server_address(address)

    app = open_app()

    assert not app.exception
    warnings = [warning.value for warning in app.sidebar.warning]
    assert len(warnings) == 1
    shown = address or "every address"
    assert warnings[0].replace("\\", "") == OPEN_TO_NETWORK.format(address=shown)


@pytest.mark.parametrize("address", ["localhost", "127.0.0.1", "::1"])
def test_local_app_has_no_warning(engine, server_address, address):
    server_address(address)

    app = open_app()

    assert not app.exception
    assert not app.sidebar.warning


def test_password_app_on_network_has_no_warning(password_set, server_address):
    server_address("0.0.0.0")

    app = open_app()

    assert not app.sidebar.warning
    signed_in_form(app)


def test_default_config_listens_on_localhost():
    text = (REPO_ROOT / ".streamlit" / "config.toml").read_text()

    assert 'address = "localhost"' in text


def test_cli_hash_password_reads_stdin():
    completed = run_cli("hash-password", "--stdin", stdin=PASSWORD + "\n")

    assert completed.returncode == 0, completed.stderr
    printed = completed.stdout.strip()
    assert verify_password(PASSWORD, printed)
    assert PASSWORD not in completed.stdout + completed.stderr
    assert "APP_PASSWORD_HASH" in completed.stderr


def test_cli_hash_password_rejects_short():
    completed = run_cli("hash-password", "--stdin", stdin="short\n")

    assert completed.returncode == 2
    assert completed.stdout == ""
    assert completed.stderr.strip() == (
        "error: The password has 5 characters; use at least 8."
    )
