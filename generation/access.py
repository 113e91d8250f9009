"""Password access: hashing, constant-time checks and a delay after a wrong guess.

The app stores only a salted hash of the password (the ``APP_PASSWORD_HASH``
setting), made by ``python -m generation hash-password``. Two formats are
read, both from the standard library:

    scrypt$<n>$<r>$<p>$<salt>$<hash>          hashlib.scrypt (the default)
    pbkdf2_sha256$<iterations>$<salt>$<hash>  hashlib.pbkdf2_hmac

Salt and hash are URL-safe base64. A wrong password costs
``SIGN_IN_DELAY_SECONDS``, and wrong guesses wait in turn on one lock, so a
script that opens many sessions still gets about one guess per delay from
each process.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import threading
from dataclasses import dataclass
from time import sleep

from generation.config import Settings, get_settings
from generation.errors import InvalidRequest

logger = logging.getLogger(__name__)

MIN_PASSWORD_CHARS = 8
# scrypt cost n=2**14, r=8, p=1: each check needs 16 MiB of memory, which
# makes guessing offline from a leaked hash slow.
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
SCRYPT_MAX_N = 2**20
PBKDF2_MIN_ITERATIONS = 100_000
HASH_BYTES = 32
SALT_BYTES = 16

_failure_lock = threading.Lock()
_failures = 0


class InvalidPasswordHash(ValueError):
    """The stored APP_PASSWORD_HASH is not in a format this module reads."""


@dataclass(frozen=True)
class _ParsedHash:
    scheme: str
    parameters: tuple[int, ...]
    salt: bytes
    digest: bytes


def hash_password(password: str) -> str:
    """Return an scrypt hash of ``password`` for the APP_PASSWORD_HASH setting.

    Raises ``InvalidRequest`` when the password is shorter than
    ``MIN_PASSWORD_CHARS``.
    """
    if len(password) < MIN_PASSWORD_CHARS:
        raise InvalidRequest(
            f"The password has {len(password)} characters; use at least "
            f"{MIN_PASSWORD_CHARS}.",
            field="password",
        )
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return "$".join(
        [
            "scrypt",
            str(SCRYPT_N),
            str(SCRYPT_R),
            str(SCRYPT_P),
            _b64(salt),
            _b64(digest),
        ]
    )


def verify_password(password: str, stored_hash: str) -> bool:
    """Return True when ``password`` matches ``stored_hash``.

    The digests are compared in constant time. Raises ``InvalidPasswordHash``
    when ``stored_hash`` is malformed, so a broken setting never opens the app.
    """
    parsed = _parse_hash(stored_hash)
    if parsed.scheme == "scrypt":
        n, r, p = parsed.parameters
        candidate = _scrypt(password, parsed.salt, n, r, p, len(parsed.digest))
    else:
        (iterations,) = parsed.parameters
        candidate = hashlib.pbkdf2_hmac(
            "sha256", password.encode(), parsed.salt, iterations, len(parsed.digest)
        )
    return hmac.compare_digest(candidate, parsed.digest)


def check_password_hash(stored_hash: str) -> None:
    """Raise ``InvalidPasswordHash`` with a sentence if the setting is malformed."""
    _parse_hash(stored_hash)


def password_required(settings: Settings | None = None) -> bool:
    """Return True when the APP_PASSWORD_HASH setting is set."""
    return bool(_stored_hash(settings or get_settings()))


def sign_in(password: str, settings: Settings | None = None) -> bool:
    """Check a sign-in attempt; a wrong password returns False after a delay.

    Raises ``InvalidPasswordHash`` when the setting is malformed.
    """
    global _failures
    settings = settings or get_settings()
    if verify_password(password, _stored_hash(settings)):
        logger.info("Sign-in succeeded")
        return True
    # One lock for every session of this process: parallel guesses queue up.
    with _failure_lock:
        _failures += 1
        logger.warning(
            "Sign-in failed: wrong password (%s failures since the process started)",
            _failures,
        )
        sleep(settings.sign_in_delay_seconds)
    return False


def _stored_hash(settings: Settings) -> str:
    secret = settings.app_password_hash
    return secret.get_secret_value().strip() if secret is not None else ""


def _parse_hash(stored_hash: str) -> _ParsedHash:
    parts = stored_hash.strip().split("$")
    try:
        if parts[0] == "scrypt" and len(parts) == 6:
            n, r, p = (int(part) for part in parts[1:4])
            if n < 2 or n > SCRYPT_MAX_N or n & (n - 1) or not (1 <= r <= 32):
                raise ValueError("scrypt cost out of range")
            if not 1 <= p <= 16:
                raise ValueError("scrypt parallelism out of range")
            return _ParsedHash("scrypt", (n, r, p), _unb64(parts[4]), _unb64(parts[5]))
        if parts[0] == "pbkdf2_sha256" and len(parts) == 4:
            iterations = int(parts[1])
            if iterations < PBKDF2_MIN_ITERATIONS:
                raise ValueError("too few iterations")
            salt, digest = _unb64(parts[2]), _unb64(parts[3])
            return _ParsedHash("pbkdf2_sha256", (iterations,), salt, digest)
    except ValueError:
        pass
    raise InvalidPasswordHash(
        "APP_PASSWORD_HASH is invalid: it is not an scrypt or pbkdf2_sha256 hash, "
        "so nobody can sign in. Make one with `python -m generation "
        "hash-password` and set it."
    )


def _scrypt(
    password: str, salt: bytes, n: int, r: int, p: int, length: int = HASH_BYTES
) -> bytes:
    # scrypt's arrays take about 128 * r * (n + p) bytes. hashlib.scrypt raises
    # when maxmem is below OpenSSL's own estimate, so leave a margin.
    max_memory = 128 * r * (n + p + 2) + 2**20
    return hashlib.scrypt(
        password.encode(), salt=salt, n=n, r=r, p=p, maxmem=max_memory, dklen=length
    )


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    if not text:
        raise ValueError("empty field")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as error:
        raise ValueError("invalid base64") from error
