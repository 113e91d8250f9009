"""Webhook URLs aimed at the host's own network are rejected before any connection.

Only literal IP addresses and ``localhost`` are used, and the only server
that could be reached is the local test receiver, which must see nothing.
"""

from __future__ import annotations

import ipaddress
import socket
from datetime import UTC, datetime

import pytest
from pytest_httpserver import HTTPServer
from webhook_receiver import Receiver

from generation import config
from generation.errors import InvalidRequest
from generation.webhooks import (
    WebhookAddressRejected,
    create_endpoint,
    list_deliveries,
    parse_webhook_url,
    resolve_target,
    send_test,
)
from generation.webhooks.addresses import read_ip_literal

T0 = datetime(2024, 6, 3, 9, 0, tzinfo=UTC)


def no_dns(*args, **kwargs):
    pytest.fail(f"a literal address was sent to the resolver: {args}")


@pytest.fixture
def private_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOK_ALLOW_PRIVATE", "false")
    config.get_settings.cache_clear()


REJECTED_LITERALS = [
    ("http://127.0.0.1:{port}/hook", "127.0.0.1, which is a loopback address"),
    ("http://10.1.2.3/hook", "10.1.2.3, which is a private address"),
    ("http://192.168.1.10/hook", "which is a private address"),
    ("http://172.16.0.1/hook", "which is a private address"),
    ("http://169.254.169.254/latest/meta-data/", "which is a link-local address"),
    ("http://[::1]:{port}/hook", "::1, which is a loopback address"),
    (
        "http://[::ffff:127.0.0.1]:{port}/hook",
        "a loopback address (127.0.0.1) inside an IPv6 address",
    ),
    ("http://2130706433:{port}/hook", "127.0.0.1, which is a loopback address"),
    ("http://0x7f000001:{port}/hook", "127.0.0.1, which is a loopback address"),
    ("http://0177.0.0.1:{port}/hook", "127.0.0.1, which is a loopback address"),
    ("http://127.1:{port}/hook", "127.0.0.1, which is a loopback address"),
    ("http://0.0.0.0:{port}/hook", "which is an unspecified address"),
    ("http://[::]/hook", "which is an unspecified address"),
    ("http://[fe80::1]/hook", "which is a link-local address"),
    ("http://[fc00::1]/hook", "which is a private address"),
    ("http://224.0.0.1/hook", "which is a multicast address"),
    ("http://240.0.0.1/hook", "which is a reserved address"),
    ("http://100.64.0.1/hook", "an address outside the public internet"),
    (
        "http://[64:ff9b::7f00:1]/hook",
        "a loopback address (127.0.0.1) inside an IPv6 address",
    ),
    ("http://[2002:a00:1::]/hook", "a private address (10.0.0.1) inside"),
]


@pytest.mark.parametrize(("template", "reason"), REJECTED_LITERALS)
def test_literal_private_addresses_rejected(
    engine, private_rejected, httpserver: HTTPServer, template: str, reason: str
):
    url = template.format(port=httpserver.port)

    with pytest.raises(WebhookAddressRejected) as checked:
        resolve_target(url, allow_private=False, resolver=no_dns)
    with pytest.raises(WebhookAddressRejected) as created:
        create_endpoint(url)

    assert reason in checked.value.message
    assert "WEBHOOK_ALLOW_PRIVATE" in created.value.message
    assert created.value.field == "url"
    assert httpserver.log == []


def test_localhost_rejected_after_resolving(
    engine, private_rejected, httpserver: HTTPServer
):
    url = httpserver.url_for("/hook")

    with pytest.raises(WebhookAddressRejected) as caught:
        create_endpoint(url)

    assert caught.value.message.startswith("The webhook host localhost resolves to ")
    assert "which is a loopback address" in caught.value.message
    assert httpserver.log == []


@pytest.mark.parametrize(
    "spelling", ["2130706433", "0x7f000001", "0177.0.0.1", "127.1", "0x7f.1"]
)
def test_numeric_spellings_read_as_loopback(spelling: str):
    assert read_ip_literal(spelling) == ipaddress.IPv4Address("127.0.0.1")


@pytest.mark.parametrize("host", ["example.com", "deadbeef", "1e100.net", "cafe"])
def test_host_names_are_not_numbers(host: str):
    assert read_ip_literal(host) is None


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("https://93.184.215.14/hook", "93.184.215.14"),
        ("https://[2606:4700:4700::1111]/hook", "2606:4700:4700::1111"),
        ("http://[::ffff:8.8.8.8]:8080/hook", "::ffff:808:808"),
    ],
)
def test_public_literals_allowed(url: str, address: str):
    target = resolve_target(url, allow_private=False, resolver=no_dns)

    assert target.addresses == (address,)


def fake_dns(*answers: str):
    """Return a resolver that returns fixed addresses in getaddrinfo's shape."""

    def resolve(host, port, type=0):
        return [
            (
                socket.AF_INET6 if ":" in answer else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (answer, port),
            )
            for answer in answers
        ]

    return resolve


def test_name_resolving_to_private_rejected():
    with pytest.raises(WebhookAddressRejected) as only_private:
        resolve_target(
            "https://hooks.internal.test/x",
            allow_private=False,
            resolver=fake_dns("10.0.0.7"),
        )
    with pytest.raises(WebhookAddressRejected) as mixed:
        resolve_target(
            "https://hooks.mixed.test/x",
            allow_private=False,
            resolver=fake_dns("93.184.215.14", "fd00::5"),
        )

    assert "hooks.internal.test resolves to 10.0.0.7, which is a private" in (
        only_private.value.message
    )
    assert "hooks.mixed.test resolves to fd00::5, which is a private" in (
        mixed.value.message
    )


def test_name_resolved_once_and_pinned():
    target = resolve_target(
        "https://hooks.example.test:8443/in?team=7",
        allow_private=False,
        resolver=fake_dns("93.184.215.14", "2606:4700:4700::1111"),
    )

    assert target.addresses == ("93.184.215.14", "2606:4700:4700::1111")
    assert target.url.host_header == "hooks.example.test:8443"
    assert target.url.target == "/in?team=7"


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("", "Type the webhook's URL"),
        ("ftp://example.com/hook", "must start with https:// or http://"),
        ("file:///etc/passwd", "must start with https:// or http://"),
        ("https://user:pw@example.com/hook", "user name or password"),
        ("https://example.com/hook#part", "#fragment"),
        ("https://exa mple.com/hook", "has spaces"),
        ("https:///hook", "has no host name"),
        ("https://example.com:99999/hook", "not a valid URL"),
    ],
)
def test_invalid_urls_rejected(url: str, words: str):
    with pytest.raises(InvalidRequest) as caught:
        parse_webhook_url(url)

    assert words in caught.value.message
    assert caught.value.field == "url"


def test_delivery_checks_address_again(
    engine, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
):
    endpoint = create_endpoint(receiver.url)
    monkeypatch.setenv("WEBHOOK_ALLOW_PRIVATE", "false")
    config.get_settings.cache_clear()

    delivery = send_test(endpoint.id, now=T0)

    assert receiver.received == []
    assert receiver.server.log == []
    assert delivery.status == "failed"
    assert [attempt.status_code for attempt in delivery.attempts] == [None]
    assert "loopback" in delivery.attempts[0].error
    assert list_deliveries()[0].next_attempt_at is None


def test_allowed_private_connects_to_resolved_address(engine, receiver: Receiver):
    endpoint = create_endpoint(receiver.url)

    delivery = send_test(endpoint.id, now=T0)

    assert delivery.status == "succeeded"
    assert receiver.received[0].headers["Host"] == f"localhost:{receiver.server.port}"
