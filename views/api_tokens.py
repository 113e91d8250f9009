"""Settings section: create, list and revoke tokens for the HTTP API."""

from __future__ import annotations

import streamlit as st

from generation.api.schemas import as_utc
from generation.errors import UserFacingError
from generation.tokens import ApiToken, create_token, list_tokens, revoke_token
from views.common import EMPTY_CELL

REVOKED_MESSAGE_KEY = "api-token-revoked-message"


def show_api_tokens() -> None:
    st.subheader("API tokens")
    st.caption(
        "Programs start reports and poll their status through the HTTP API under "
        "/api (documentation at /api/docs), sending 'Authorization: Bearer "
        "<token>'. A token is shown once, when it is created; only its hash is "
        "stored."
    )
    _create_form()

    message = st.session_state.pop(REVOKED_MESSAGE_KEY, None)
    if message:
        st.success(message, icon=":material/key_off:")
    rows = list_tokens()
    if not rows:
        st.info("No API tokens yet.")
        return
    _token_table(rows)
    _revoke_form(rows)


def _token_table(rows: list[ApiToken]) -> None:
    st.dataframe(
        [
            {
                "Id": row.id,
                "Name": row.name,
                "Starts with": f"{row.prefix}…",
                "Created": as_utc(row.created_at),
                "Last used": as_utc(row.last_used_at),
                "Revoked": as_utc(row.revoked_at),
            }
            for row in rows
        ],
        hide_index=True,
        width="stretch",
        placeholder=EMPTY_CELL,
    )


def _revoke_form(rows: list[ApiToken]) -> None:
    active = {row.id: row.name for row in rows if row.is_active}
    if not active:
        return
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    token_id = left.selectbox(
        "Token to revoke",
        list(active),
        format_func=lambda value: f"{value}: {active[value]}",
    )
    right.button(
        "Revoke",
        icon=":material/key_off:",
        on_click=_revoke,
        args=(token_id,),
    )


def _create_form() -> None:
    with st.form("create-api-token", clear_on_submit=True):
        name = st.text_input(
            "Name of the new token",
            max_chars=100,
            placeholder="For example: CMS export",
        )
        submitted = st.form_submit_button("Create token", icon=":material/key:")
    if not submitted:
        return
    try:
        created = create_token(name)
    except UserFacingError as error:
        st.error(error.message, icon=":material/error:")
        return
    st.success(
        f"Token '{created.name}' created. Copy it now: it is not shown again.",
        icon=":material/key:",
    )
    st.code(created.secret, language=None)


def _revoke(token_id: int) -> None:
    # Runs before the rerun, so the list below already shows the revocation.
    row = revoke_token(token_id)
    st.session_state[REVOKED_MESSAGE_KEY] = (
        f"Token '{row.name}' is revoked; requests with it now get 401."
    )
