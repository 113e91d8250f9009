"""Settings from environment variables and Streamlit secrets.

Order of precedence: an explicit argument, then the environment, then values
from ``.streamlit/secrets.toml`` (passed in by the app or read by the command
line), then the defaults below, which work offline on a fresh machine.
"""

from __future__ import annotations

import json
import logging
import textwrap
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from generation.errors import InvalidSettings

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / 'data' / 'trend_reports.db'}"
SECRETS_FILE = PROJECT_ROOT / ".streamlit" / "secrets.toml"


class Settings(BaseSettings):
    """Every setting of the app, the command line and the HTTP API."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        alias="DATABASE_URL",
        description="SQLAlchemy URL of the database; default a SQLite file "
        "under data/. PostgreSQL: postgresql+psycopg://user:pass@host/db.",
    )
    executor_workers: int = Field(
        4,
        alias="EXECUTOR_WORKERS",
        ge=1,
        le=64,
        description="How many generation jobs run at once in this process.",
    )
    writer: Literal["auto", "data_brief", "gemini"] = Field(
        "auto",
        alias="REPORT_WRITER",
        description="Who writes reports: gemini, data_brief (offline), or auto "
        "(Gemini when an API key is set, otherwise the data brief).",
    )
    gemini_api_key: SecretStr | None = Field(
        None,
        alias="GEMINI_API_KEY",
        description="Google Gemini API key (GOOGLE_API_KEY is read too). "
        "Secret: shown only as set or not set.",
    )
    google_api_key: SecretStr | None = Field(
        None,
        alias="GOOGLE_API_KEY",
        description="Alternative name for the Gemini API key.",
    )
    gemini_model: str = Field(
        "gemini-2.5-flash",
        alias="GEMINI_MODEL",
        description="Gemini model that writes reports.",
    )
    gemini_base_url: str = Field(
        "",
        alias="GEMINI_BASE_URL",
        description="Base address of the Gemini API; empty means the SDK's "
        "default or its GOOGLE_GEMINI_BASE_URL environment variable.",
    )
    gemini_temperature: float = Field(
        0.7,
        alias="GEMINI_TEMPERATURE",
        ge=0.0,
        le=2.0,
        description="Sampling temperature of Gemini, from 0 (most predictable) "
        "to 2 (most varied).",
    )
    gemini_max_output_tokens: int = Field(
        8192,
        alias="GEMINI_MAX_OUTPUT_TOKENS",
        ge=256,
        le=65536,
        description="Most tokens Gemini may produce per request, thinking "
        "tokens included; a long report makes one request per section.",
    )
    gemini_grounding: bool = Field(
        False,
        alias="GEMINI_GROUNDING",
        description="Let Gemini search Google and cite the pages it used "
        "(Google bills grounded requests separately).",
    )
    job_cost_cap_usd: float = Field(
        0.0,
        alias="JOB_COST_CAP_USD",
        ge=0.0,
        description="Stop a Gemini job once its estimated cost reaches this "
        "many US dollars; 0 means no cap.",
    )
    trends_base_url: str = Field(
        "https://trends.google.com",
        alias="GOOGLE_TRENDS_BASE_URL",
        description="Base address used for every Google Trends request.",
    )
    trends_hl: str = Field(
        "en-US",
        alias="TRENDS_HL",
        description="Language of Google Trends answers (region and topic "
        "names), as a locale such as en-US or de-DE.",
    )
    trends_tz: int = Field(
        0,
        alias="TRENDS_TZ",
        ge=-840,
        le=840,
        description="Time zone of Google Trends dates, in minutes west of UTC "
        "(pytrends' tz; 0 is UTC, 360 is US Central Standard Time).",
    )
    trends_geo: str = Field(
        "",
        alias="TRENDS_GEO",
        description="Default region of live trends queries: a country code "
        "such as GB or a subdivision such as US-CA; empty is worldwide.",
    )
    trends_timeout_seconds: float = Field(
        10.0,
        alias="TRENDS_TIMEOUT_SECONDS",
        gt=0,
        description="Seconds to wait for Google Trends to answer one request.",
    )
    trends_retry_attempts: int = Field(
        3,
        alias="TRENDS_RETRY_ATTEMPTS",
        ge=1,
        le=10,
        description="Attempts per Google Trends request when it answers 429, "
        "a 5xx status or times out (1 means no retry).",
    )
    trends_retry_initial_seconds: float = Field(
        1.0,
        alias="TRENDS_RETRY_INITIAL_SECONDS",
        ge=0,
        description="First wait before retrying a Google Trends request, in "
        "seconds; each later wait doubles, plus random jitter.",
    )
    trends_retry_max_wait_seconds: float = Field(
        30.0,
        alias="TRENDS_RETRY_MAX_WAIT_SECONDS",
        ge=0,
        description="Longest total wait across retries of one request, in "
        "seconds; a longer Retry-After from Google ends the retries at once.",
    )
    trends_cooldown_seconds: float = Field(
        60.0,
        alias="TRENDS_COOLDOWN_SECONDS",
        ge=0,
        description="After Google Trends keeps answering 429, send no live "
        "request for this many seconds (or its Retry-After, if longer).",
    )
    job_dedup_seconds: int = Field(
        10,
        alias="JOB_DEDUP_SECONDS",
        ge=0,
        description="Identical requests within this many seconds get the "
        "same job back.",
    )
    job_lease_seconds: int = Field(
        60,
        alias="JOB_LEASE_SECONDS",
        ge=5,
        description="A running job whose heartbeat is older than this is "
        "marked interrupted on start-up.",
    )
    api_rate_limit: int = Field(
        120,
        alias="API_RATE_LIMIT",
        ge=1,
        description="Requests per minute that one HTTP API token may make; a "
        "burst of this size is allowed, then the rate. Counted per process.",
    )
    api_max_body_bytes: int = Field(
        # The importer's 20 MiB file limit plus room for the multipart framing.
        21 * 1024 * 1024,
        alias="API_MAX_BODY_BYTES",
        ge=1024,
        description="Largest HTTP API request body in bytes, uploads included; "
        "a larger body is rejected with 413 before it is read.",
    )
    app_base_url: str = Field(
        "http://localhost:8501",
        alias="APP_BASE_URL",
        description="Address where analysts open the app; webhook payloads "
        "link to reports under it.",
    )
    scheduler_interval_seconds: float = Field(
        30.0,
        alias="SCHEDULER_INTERVAL_SECONDS",
        ge=1,
        le=3600,
        description="How often the app looks for due scheduled runs and "
        "watchlist checks, in seconds.",
    )
    webhook_allow_private: bool = Field(
        False,
        alias="WEBHOOK_ALLOW_PRIVATE",
        description="Let webhooks reach private, loopback and link-local "
        "addresses (for a receiver on this machine or network only).",
    )
    webhook_timeout_seconds: float = Field(
        10.0,
        alias="WEBHOOK_TIMEOUT_SECONDS",
        gt=0,
        le=60,
        description="Seconds to wait for a webhook endpoint to connect and "
        "answer one delivery.",
    )
    webhook_retry_seconds: float = Field(
        30.0,
        alias="WEBHOOK_RETRY_SECONDS",
        ge=0,
        le=3600,
        description="Wait before retrying a failed webhook delivery, in "
        "seconds; each later wait doubles.",
    )
    webhook_max_attempts: int = Field(
        6,
        alias="WEBHOOK_MAX_ATTEMPTS",
        ge=1,
        le=10,
        description="Attempts per webhook delivery, the first included (6 "
        "with a 30-second retry gives up after about 15 minutes).",
    )
    app_password_hash: SecretStr | None = Field(
        None,
        alias="APP_PASSWORD_HASH",
        description="Hash of the password every page asks for, made by "
        "`python -m generation hash-password`; empty leaves the app open. "
        "Secret: shown only as set or not set.",
    )
    sign_in_delay_seconds: float = Field(
        2.0,
        alias="SIGN_IN_DELAY_SECONDS",
        ge=0,
        le=60,
        description="Seconds a wrong password waits before the sign-in form "
        "answers; wrong guesses from all sessions wait in turn.",
    )
    writer_plugins: str = Field(
        "",
        alias="WRITER_PLUGINS",
        description="Comma-separated Python modules imported at start-up to "
        "add writers; each calls generation.writers.register_writer.",
    )
    log_file: str = Field(
        "",
        alias="LOG_FILE",
        description="Path of a log file; empty logs to the console only.",
    )

    @field_validator("database_url")
    @classmethod
    def _reject_empty_url(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("DATABASE_URL is empty; unset it or give a URL.")
        return value.strip()

    @property
    def api_key(self) -> str | None:
        """Return the Gemini key, preferring GEMINI_API_KEY over GOOGLE_API_KEY."""
        for secret in (self.gemini_api_key, self.google_api_key):
            if secret is not None and secret.get_secret_value().strip():
                return secret.get_secret_value().strip()
        return None

    @property
    def effective_writer(self) -> str:
        """Return the writer to use when a request does not name one."""
        if self.writer != "auto":
            return self.writer
        return "gemini" if self.api_key else "data_brief"

    def describe(self) -> list[dict[str, str]]:
        """Return each setting's name, shown value and help; secrets as set or not."""
        rows = []
        for name, info in type(self).model_fields.items():
            value = getattr(self, name)
            if isinstance(value, SecretStr) or "key" in name:
                shown = "set" if value else "not set"
            elif name == "database_url":
                shown = make_url(value).render_as_string(hide_password=True)
            else:
                shown = str(value)
            rows.append(
                {
                    "setting": info.alias or name,
                    "value": shown,
                    "default": _default_text(info),
                    "help": info.description or "",
                }
            )
        return rows


def _default_text(info: FieldInfo) -> str:
    default = info.get_default(call_default_factory=True)
    if default is None or default == "":
        return ""
    return str(default)


def read_secrets_file(path: Path | None = None) -> dict[str, Any]:
    """Return the top-level keys of a Streamlit secrets file, or {} if absent."""
    path = path or SECRETS_FILE
    if not path.exists():
        return {}
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as error:
        logger.warning("Could not read %s: %s", path, error)
        return {}


def load_settings(secrets: dict[str, Any] | None = None, **overrides: Any) -> Settings:
    """Build settings: overrides, then environment, then secrets, then defaults.

    Overrides may use field names (``database_url``) or setting names
    (``DATABASE_URL``).
    """
    try:
        return _load_settings(secrets, overrides)
    except ValidationError as error:
        raise InvalidSettings(_settings_sentence(error)) from None


def _settings_sentence(error: ValidationError) -> str:
    problem = error.errors()[0]
    name = ".".join(str(part) for part in problem["loc"])
    alias = Settings.model_fields[name].alias if name in Settings.model_fields else name
    reason = str(problem["msg"]).removeprefix("Value error, ").rstrip(".")
    return (
        f"The setting {alias or name} is not valid: {reason}. Fix it in the "
        "environment or in .streamlit/secrets.toml, then start again."
    )


def _load_settings(
    secrets: dict[str, Any] | None, overrides: dict[str, Any]
) -> Settings:
    secrets = read_secrets_file() if secrets is None else secrets
    known = {info.alias for info in Settings.model_fields.values()}
    from_secrets = {
        key: value
        for key, value in secrets.items()
        if key in known and not isinstance(value, dict)
    }
    settings = Settings(**from_secrets)
    # The environment outranks secrets: pydantic-settings ranks init values
    # above the environment, so re-read the environment on top.
    from_env = Settings.model_validate({})
    explicit_env = from_env.model_fields_set
    merged = settings.model_dump(by_alias=False)
    merged.update({name: getattr(from_env, name) for name in explicit_env})
    by_alias = {
        info.alias: name for name, info in Settings.model_fields.items() if info.alias
    }
    merged.update({by_alias.get(key, key): value for key, value in overrides.items()})
    return Settings(**merged)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings, read once."""
    return load_settings()


# Sign-in with an OpenID Connect provider through Streamlit's st.login, used
# instead of the password when present.
AUTH_EXAMPLE = [
    "",
    "# Sign-in with Google or another OpenID Connect provider (st.login). When this",
    "# section is present, every page asks visitors to sign in with it instead of",
    "# the password. See https://docs.streamlit.io/develop/concepts/connections/authentication",
    "# [auth]",
    '# redirect_uri = "http://localhost:8501/oauth2callback"',
    '# cookie_secret = "a long random string"',
    '# client_id = "..."',
    '# client_secret = "..."',
    '# server_metadata_url = "https://accounts.google.com/.well-known/openid-configuration"',
]


def settings_documentation(kind: str) -> str:
    """Return every setting with its default and help, as a Markdown table or a TOML example."""
    rows = _documented_rows()
    if kind == "markdown":
        lines = ["| Setting | Default | What it does |", "| --- | --- | --- |"]
        lines += [
            f"| `{row['setting']}` | {('`' + row['default'] + '`') if row['default'] else ''} "
            f"| {row['help']} |"
            for row in rows
        ]
        return "\n".join(lines) + "\n"
    lines = [
        "# Example .streamlit/secrets.toml: copy it to secrets.toml and uncomment",
        "# what you need. Environment variables of the same name win over this file.",
        "# Made by: uv run python -m generation settings --format toml",
    ]
    for row in rows:
        lines.append("")
        lines += [f"# {line}" for line in textwrap.wrap(row["help"], 76)]
        lines.append(f"# {row['setting']} = {_toml_value(row['default'])}")
    lines += AUTH_EXAMPLE
    return "\n".join(lines) + "\n"


def _documented_rows() -> list[dict[str, str]]:
    rows = []
    for name, info in Settings.model_fields.items():
        default = _default_text(info).replace(str(PROJECT_ROOT), ".")
        rows.append(
            {
                "setting": info.alias or name,
                "default": default,
                "help": info.description or "",
            }
        )
    return rows


def _toml_value(default: str) -> str:
    if default in ("True", "False"):
        return default.lower()
    try:
        float(default)
    except ValueError:
        return json.dumps(default)
    return default
