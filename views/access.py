"""The gate in front of every page: a password, ``st.login``, or a warning.

``navigation.py`` builds its navigation with ``gated_navigation``. Until the
visitor is signed in, every page is a stand-in that shows the sign-in form,
so no other page's script runs, whatever the address.

- With an ``[auth]`` section in ``.streamlit/secrets.toml``, visitors sign in
  with the OpenID Connect provider it names (``st.login``).
- Otherwise, with the APP_PASSWORD_HASH setting, they enter the password.
  Being signed in lasts for the browser session, so a reload shows the
  sign-in form again.
- With neither, the app is open; when it listens beyond this machine, the
  sidebar says so.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import streamlit as st

from generation.access import (
    InvalidPasswordHash,
    check_password_hash,
    password_required,
    sign_in,
)
from generation.config import get_settings
from generation.text import plain_markdown

logger = logging.getLogger(__name__)

LOCAL_ADDRESSES = frozenset({"localhost", "127.0.0.1", "::1"})
SIGNED_IN_KEY = "access-signed-in"
WRONG_PASSWORD = (
    "That password is wrong. Type it again, or ask whoever runs this app for it."
)
OPEN_TO_NETWORK = (
    "This app listens on {address} and has no password, so anyone who can "
    "reach this machine can use it. Set APP_PASSWORD_HASH or an [auth] "
    "section in .streamlit/secrets.toml, or listen on localhost."
)
LOGIN_NEEDS_AUTHLIB = (
    "Signing in with st.login needs the Authlib package, which is not "
    "installed, so nobody can sign in. Install it with `uv add authlib`, or "
    "remove the [auth] section and use APP_PASSWORD_HASH."
)


def gated_navigation(pages: list[st.Page] | dict[str, list[st.Page]]):
    """Return ``st.navigation`` over ``pages``, or over sign-in pages if locked.

    While the visitor is not signed in, every page address shows the sign-in
    form, so a shared link opens its page once the visitor has signed in.
    Also draws the sidebar's sign-out button or the open-to-network warning.
    """
    sign_in_form = _sign_in_form_needed()
    if sign_in_form is None:
        return st.navigation(pages)
    stand_ins = [
        st.Page(sign_in_form, title="Sign in", icon=":material/lock:", default=True)
    ]
    every_page = (
        [page for section in pages.values() for page in section]
        if isinstance(pages, dict)
        else pages
    )
    stand_ins += [
        st.Page(sign_in_form, title="Sign in", url_path=page.url_path)
        for page in every_page
        if page.url_path
    ]
    return st.navigation(stand_ins, position="hidden")


def _sign_in_form_needed() -> Callable[[], None] | None:
    """Return the sign-in form this session must pass, or None when it may go on."""
    if _login_configured():
        if not st.user.is_logged_in:
            return _login_form
        _draw_signed_in_user()
        return None
    if password_required(get_settings()):
        if not st.session_state.get(SIGNED_IN_KEY):
            return _password_form
        if st.sidebar.button("Sign out", icon=":material/logout:"):
            st.session_state.pop(SIGNED_IN_KEY, None)
            logger.info("Signed out")
            st.rerun()
        return None
    address = listening_address()
    if address not in LOCAL_ADDRESSES:
        st.sidebar.warning(
            plain_markdown(OPEN_TO_NETWORK.format(address=address or "every address")),
            icon=":material/lock_open:",
        )
    return None


def ignore_pages_directory() -> None:
    """Make every script run start in navigation.py, and so pass this gate.

    Streamlit (checked in 1.67, ``PagesManager.uses_pages_directory``) treats
    a ``pages/`` folder beside the entry script as an old-style multipage app
    until the first ``st.navigation`` call in the process. Until then, the
    first request of a fresh server for ``/generate`` runs pages/generate.py
    directly and skips the sign-in. app.py calls this before any session.
    """
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False


def listening_address() -> str:
    """Return the server.address option; empty means every network interface."""
    return str(st.get_option("server.address") or "").strip().strip("[]")


def _login_configured() -> bool:
    if not st.secrets.load_if_toml_exists():
        return False
    return bool(st.secrets.get("auth"))


def _password_form() -> None:
    st.title("Sign in")
    try:
        check_password_hash(get_settings().app_password_hash.get_secret_value())
    except InvalidPasswordHash as error:
        st.error(str(error), icon=":material/error:")
        return
    with st.form("sign-in", clear_on_submit=True):
        password = st.text_input("Password", type="password")
        submitted = st.form_submit_button(
            "Sign in", type="primary", icon=":material/login:"
        )
    if not submitted:
        return
    # sign_in waits SIGN_IN_DELAY_SECONDS before returning False.
    if sign_in(password):
        st.session_state[SIGNED_IN_KEY] = True
        st.rerun()
    st.error(WRONG_PASSWORD, icon=":material/error:")


def _login_form() -> None:
    st.title("Sign in")
    try:
        import authlib  # noqa: F401
    except ImportError:
        st.error(LOGIN_NEEDS_AUTHLIB, icon=":material/error:")
        return
    providers = _login_providers()
    if not providers:
        if st.button("Sign in", type="primary", icon=":material/login:"):
            st.login()
        return
    for provider in providers:
        if st.button(
            f"Sign in with {plain_markdown(provider)}",
            key=f"login-{provider}",
            type="primary",
            icon=":material/login:",
        ):
            st.login(provider)


def _login_providers() -> list[str]:
    """Return the named providers in [auth], or [] when it configures one default."""
    auth = st.secrets.get("auth", {})
    if "client_id" in auth:
        return []
    return [name for name, value in auth.items() if hasattr(value, "keys")]


def _draw_signed_in_user() -> None:
    identity = st.user.get("email") or st.user.get("name") or "signed in"
    st.sidebar.caption(f"Signed in as {plain_markdown(str(identity))}")
    if st.sidebar.button("Sign out", icon=":material/logout:"):
        logger.info("Signed out")
        st.logout()
