"""Check a webhook URL and pick the IP address a delivery connects to.

A webhook URL is typed by a user and fetched by the server, so it could be
aimed at the host's own network (server-side request forgery). Unless
WEBHOOK_ALLOW_PRIVATE is on, the host must be, or resolve only to, public
addresses: not private, loopback, link-local, multicast, reserved,
unspecified or otherwise non-global, in IPv4 or IPv6, also when an IPv4
address is embedded in an IPv6 one (IPv4-mapped, 6to4, Teredo, NAT64).
Hosts spelled as numbers (2130706433, 0x7f000001, 0177.0.0.1, 127.1) are
read the way inet_aton reads them, which is how the C library would connect.

The host is resolved once per attempt and the connection goes to that IP,
so a DNS answer that changes between the check and the connection (DNS
rebinding) cannot slip a private address through.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from generation.errors import InvalidRequest

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_URL_CHARS = 2000
_NUMERIC_HOST = re.compile(r"^[0-9a-fA-FxX.]+$")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# The order decides which word a rejection uses for an address in several ranges.
_RANGE_CHECKS = (
    ("is_unspecified", "an unspecified address"),
    ("is_loopback", "a loopback address"),
    ("is_link_local", "a link-local address"),
    ("is_multicast", "a multicast address"),
    ("is_reserved", "a reserved address"),
    ("is_private", "a private address"),
)


class WebhookAddressRejected(InvalidRequest):
    """The webhook URL points at an address deliveries may not reach."""


@dataclass(frozen=True)
class WebhookUrl:
    """A webhook URL split into what a connection needs."""

    scheme: str  # http or https
    host: str  # as written in the URL, IDNA-encoded; no brackets for IPv6
    port: int
    target: str  # path and query, at least "/"
    # The host read as an IP address when it is one (in any spelling).
    literal: IPAddress | None

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


@dataclass(frozen=True)
class WebhookTarget:
    """A checked webhook URL and the IP addresses to connect to, in order."""

    url: WebhookUrl
    addresses: tuple[str, ...]


def parse_webhook_url(url: str) -> WebhookUrl:
    """Split a webhook URL; raises ``InvalidRequest`` when it is not http(s)."""
    text = (url or "").strip()
    if not text:
        raise InvalidRequest("Type the webhook's URL.", field="url")
    if len(text) > MAX_URL_CHARS or any(char.isspace() for char in text):
        raise InvalidRequest(
            "The webhook URL has spaces or is over 2000 characters long; paste "
            "the address exactly as the receiving service gives it.",
            field="url",
        )
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise InvalidRequest(
            f"'{text[:80]}' is not a valid URL; check the host and port.", field="url"
        ) from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise InvalidRequest(
            f"Webhook URLs must start with https:// or http://, not "
            f"'{scheme or text[:20]}'.",
            field="url",
        )
    if parts.username is not None or parts.password is not None:
        raise InvalidRequest(
            "The webhook URL contains a user name or password; remove it and "
            "use the secret, which signs every delivery, instead.",
            field="url",
        )
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise InvalidRequest(f"'{text[:80]}' has no host name.", field="url")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise InvalidRequest(
            f"'{host[:80]}' is not a valid host name.", field="url"
        ) from None
    if parts.fragment:
        raise InvalidRequest(
            "The webhook URL has a #fragment, which is never sent to a server; "
            "remove it.",
            field="url",
        )
    target = parts.path or "/"
    if parts.query:
        target = f"{target}?{parts.query}"
    return WebhookUrl(
        scheme=scheme,
        host=host,
        port=port or (443 if scheme == "https" else 80),
        target=target,
        literal=read_ip_literal(host),
    )


def read_ip_literal(host: str) -> IPAddress | None:
    """Return the IP address a host name spells, in any form inet_aton reads, or None."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _NUMERIC_HOST.match(host) and any(char.isdigit() for char in host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def rejection_reason(address: IPAddress) -> str | None:
    """Return why deliveries may not reach ``address``, or None when they may.

    The reason is a noun phrase such as "a loopback address".
    """
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded:
            for inner in embedded:
                reason = rejection_reason(inner)
                if reason:
                    return f"{reason} ({inner}) inside an IPv6 address"
            if address.ipv4_mapped is not None:
                return None
    for attribute, reason in _RANGE_CHECKS:
        if getattr(address, attribute):
            return reason
    if not address.is_global:
        return "an address outside the public internet"
    return None


def resolve_target(
    url: str | WebhookUrl,
    *,
    allow_private: bool,
    resolver=socket.getaddrinfo,
) -> WebhookTarget:
    """Return the checked URL and the IP addresses of its host to connect to.

    Raises ``WebhookAddressRejected`` when the host is, or resolves to, an
    address outside the public internet and private addresses are not allowed,
    and ``InvalidRequest`` when the URL is invalid or its host does not resolve.
    """
    parsed = url if isinstance(url, WebhookUrl) else parse_webhook_url(url)
    if parsed.literal is not None:
        addresses: list[IPAddress] = [parsed.literal]
    else:
        addresses = _resolve(parsed, resolver)
    if not allow_private:
        for address in addresses:
            reason = rejection_reason(address)
            if reason is None:
                continue
            if parsed.literal is not None:
                where = f"The webhook URL points at {address}"
            else:
                where = f"The webhook host {parsed.host} resolves to {address}"
            raise WebhookAddressRejected(
                f"{where}, which is {reason}. Webhooks may only reach public "
                "addresses unless WEBHOOK_ALLOW_PRIVATE is set.",
                field="url",
            )
    return WebhookTarget(
        url=parsed, addresses=tuple(str(address) for address in addresses)
    )


def _resolve(parsed: WebhookUrl, resolver) -> list[IPAddress]:
    try:
        answers = resolver(parsed.host, parsed.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise InvalidRequest(
            f"The webhook host '{parsed.host}' could not be resolved ({error}). "
            "Check the host name.",
            field="url",
        ) from None
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in answers:
        # IPv6 socket addresses may carry a zone after %, which ip_address reads.
        address = ipaddress.ip_address(str(sockaddr[0]))
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise InvalidRequest(
            f"The webhook host '{parsed.host}' has no address. Check the host name.",
            field="url",
        )
    return addresses


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    found = []
    if address.ipv4_mapped is not None:
        found.append(address.ipv4_mapped)
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)
    if address in _NAT64:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found
