"""Webhooks on the Settings page: endpoints, a test button and every delivery attempt."""

from __future__ import annotations

import streamlit as st

from generation.config import get_settings
from generation.errors import UserFacingError
from generation.webhooks import (
    EVENTS,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    create_endpoint,
    delete_endpoint,
    list_deliveries,
    list_endpoints,
    send_test,
)
from views.common import EMPTY_CELL

MESSAGE_KEY = "webhooks-message"


def show_webhooks() -> None:
    """Draw the Webhooks section."""
    settings = get_settings()
    st.subheader("Webhooks")
    st.caption(
        "When a job ends, a JSON payload (event, job id, status, report id, "
        "title, summary and a link) is POSTed to each endpoint subscribed to "
        f"the event. With a secret, `{SIGNATURE_HEADER}` is `sha256=` and the "
        f"HMAC-SHA256 of `<{TIMESTAMP_HEADER}>.<body>`. Failed deliveries are "
        f"retried {settings.webhook_max_attempts - 1} times, after "
        f"{settings.webhook_retry_seconds:g} seconds and then twice as long each "
        "time. Redirects are not followed."
    )
    if not settings.webhook_allow_private:
        st.caption(
            "Private, loopback and link-local addresses are rejected; set "
            "WEBHOOK_ALLOW_PRIVATE to allow a receiver on this network."
        )
    message = st.session_state.pop(MESSAGE_KEY, None)
    if message:
        st.success(message, icon=":material/webhook:")
    _create_form()
    endpoints = list_endpoints()
    if not endpoints:
        st.info("No webhooks yet.")
        return
    st.dataframe(
        [
            {
                "Id": endpoint.id,
                "URL": endpoint.url,
                "Events": ", ".join(endpoint.events),
                "Secret": endpoint.secret,
                "Description": endpoint.description,
            }
            for endpoint in endpoints
        ],
        hide_index=True,
        width="stretch",
        placeholder=EMPTY_CELL,
    )
    _endpoint_actions(endpoints)
    _deliveries()


def _create_form() -> None:
    with st.form("create-webhook", clear_on_submit=True):
        url = st.text_input(
            "Endpoint URL",
            placeholder="https://example.com/hooks/trend-reports",
            key="webhook-url",
        )
        left, right = st.columns(2)
        events = left.multiselect(
            "Events", list(EVENTS), default=list(EVENTS), key="webhook-events"
        )
        secret = right.text_input(
            "Secret (optional)",
            type="password",
            key="webhook-secret",
            help="Signs every delivery; shown only masked after this.",
        )
        description = st.text_input(
            "Description (optional)", max_chars=200, key="webhook-description"
        )
        submitted = st.form_submit_button("Add webhook", icon=":material/webhook:")
    if not submitted:
        return
    try:
        endpoint = create_endpoint(url, events, secret=secret, description=description)
    except UserFacingError as error:
        st.error(error.message, icon=":material/error:")
        return
    st.session_state[MESSAGE_KEY] = f"Webhook {endpoint.id} added."
    st.rerun()


def _endpoint_actions(endpoints) -> None:
    urls = {endpoint.id: endpoint.url for endpoint in endpoints}
    pick, test_column, delete_column = st.columns(
        [4, 1, 1], vertical_alignment="bottom"
    )
    endpoint_id = pick.selectbox(
        "Webhook",
        list(urls),
        format_func=lambda value: f"{value}: {urls[value]}",
        key="webhook-action-target",
    )
    test_column.button(
        "Send test",
        icon=":material/send:",
        on_click=_send_test,
        args=(endpoint_id,),
        key="webhook-send-test",
    )
    delete_column.button(
        "Delete",
        icon=":material/delete:",
        on_click=_delete,
        args=(endpoint_id,),
        key="webhook-delete",
    )


def _send_test(endpoint_id: int) -> None:
    try:
        delivery = send_test(endpoint_id)
    except UserFacingError as error:
        st.session_state[MESSAGE_KEY] = error.message
        return
    attempt = delivery.attempts[-1] if delivery.attempts else None
    if delivery.status == "succeeded" and attempt is not None:
        st.session_state[MESSAGE_KEY] = (
            f"Test delivered: HTTP {attempt.status_code} in {attempt.duration_ms} ms."
        )
    else:
        problem = attempt.error if attempt else "no attempt was made"
        st.session_state[MESSAGE_KEY] = f"Test failed: {problem}"


def _delete(endpoint_id: int) -> None:
    delete_endpoint(endpoint_id)
    st.session_state[MESSAGE_KEY] = f"Webhook {endpoint_id} deleted."


def _deliveries() -> None:
    deliveries = list_deliveries(limit=20)
    st.markdown("**Recent deliveries**")
    if not deliveries:
        st.caption("Nothing sent yet.")
        return
    rows = []
    for delivery in deliveries:
        attempts = delivery.attempts or [None]
        for attempt in attempts:
            rows.append(
                {
                    "Delivery": delivery.id,
                    "Event": delivery.event,
                    "Job": delivery.job_id,
                    "Attempt": attempt.attempt if attempt else None,
                    "At (UTC)": attempt.started_at if attempt else None,
                    "HTTP status": attempt.status_code if attempt else None,
                    "Duration (ms)": attempt.duration_ms if attempt else None,
                    "Next retry (UTC)": attempt.next_retry_at if attempt else None,
                    "Error": attempt.error if attempt else "",
                    "Delivery state": delivery.status,
                    "Webhook": delivery.endpoint_id,
                }
            )
    st.dataframe(
        rows,
        hide_index=True,
        width="stretch",
        column_config={
            "At (UTC)": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss"),
            "Next retry (UTC)": st.column_config.DatetimeColumn(
                format="YYYY-MM-DD HH:mm:ss"
            ),
        },
        placeholder=EMPTY_CELL,
    )
