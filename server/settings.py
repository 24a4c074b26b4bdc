"""Settings, read once from the environment."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from proposals.rate_limits import DEFAULT_LIMITS, Limit, parse_limits
from web.database import sqlite_path

DEFAULT_DATABASE_URL = "sqlite:///referentiel.db"
DEFAULT_BASE_URL = "http://127.0.0.1:8000"


class SettingsError(ValueError):
    """A setting in the environment cannot be used."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str
    # How long a worker trusts its idea of the current release before asking the
    # database again: releases published by another worker show up within it.
    latest_ttl_seconds: float = 30.0
    # The framework shown on the home page.
    default_framework: str = "qualite-mentorat"
    # Session and CSRF cookies are sent over HTTPS only (browsers also accept them from
    # http://localhost and http://127.0.0.1). Turn off only to test over plain HTTP elsewhere.
    secure_cookies: bool = True
    # How often each worker looks for votes past their closing time, in seconds.
    decision_interval_seconds: float = 30.0
    # The site's public address, for every absolute URL (API html_url, feeds, downloads): the Host
    # a request names never shapes an answer. `referentiel serve` defaults it to where it listens.
    base_url: str = DEFAULT_BASE_URL
    # Proxies whose X-Forwarded-For is believed (per-address limits use the client it names).
    trusted_proxies: tuple[IPv4Network | IPv6Network, ...] = ()
    # How often each action may be done, per account and per address (proposals/rate_limits.py).
    rate_limits: Mapping[str, Limit] = field(default_factory=lambda: dict(DEFAULT_LIMITS))
    # How many programmes must have submitted on a release before its field evidence is shown.
    aggregate_min: int = 10
    # Where e-mail goes (server/mailer.py): smtp://[user:password@]host[:port][?starttls=1]. None:
    # notifications' e-mails wait in the outbox (the steward page says so).
    smtp: SmtpAddress | None = None
    mail_from: str = "no-reply@localhost"
    # How often each worker turns events into notifications and sends the outbox, in seconds.
    mail_interval_seconds: float = 1.0

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite:")

    @property
    def sqlite_path(self) -> Path:
        return sqlite_path(self.database_url)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        url = database_url_from(env)
        secret = env.get("REFERENTIEL_SECRET_KEY") or development_secret(url)
        return cls(
            database_url=url,
            secret_key=secret,
            latest_ttl_seconds=_number(env, "REFERENTIEL_LATEST_TTL", 30.0),
            default_framework=env.get("REFERENTIEL_DEFAULT_FRAMEWORK", "qualite-mentorat"),
            secure_cookies=env.get("REFERENTIEL_SECURE_COOKIES", "1") != "0",
            decision_interval_seconds=_number(env, "REFERENTIEL_DECISION_INTERVAL", 30.0),
            base_url=base_url(env.get("REFERENTIEL_BASE_URL") or DEFAULT_BASE_URL),
            trusted_proxies=trusted_proxies(env.get("REFERENTIEL_TRUSTED_PROXIES", "")),
            rate_limits=_limits(env.get("REFERENTIEL_RATE_LIMITS", "")),
            aggregate_min=_count(env, "REFERENTIEL_AGGREGATE_MIN", 10),
            smtp=smtp_address(env.get("REFERENTIEL_SMTP_URL", "")),
            mail_from=env.get("REFERENTIEL_MAIL_FROM")
            or f"no-reply@{_host(env.get('REFERENTIEL_BASE_URL'))}",
            mail_interval_seconds=_number(env, "REFERENTIEL_MAIL_INTERVAL", 1.0),
        )


@dataclass(frozen=True)
class SmtpAddress:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    starttls: bool = False


def smtp_address(text: str) -> SmtpAddress | None:
    """REFERENTIEL_SMTP_URL: smtp://[user:password@]host[:port][?starttls=1] (port 25 by default)."""
    if not text.strip():
        return None
    parts = urlsplit(text.strip())
    query = parse_qs(parts.query)
    try:
        port = parts.port or 25
    except ValueError:
        raise SettingsError(f"REFERENTIEL_SMTP_URL={text!r}: the port must be a number") from None
    if parts.scheme != "smtp" or not parts.hostname:
        raise SettingsError(
            f"REFERENTIEL_SMTP_URL={text!r}: write smtp://[user:password@]host[:port][?starttls=1]"
        )
    return SmtpAddress(
        host=parts.hostname,
        port=port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        starttls=query.get("starttls", ["0"])[0] in ("1", "true", "yes"),
    )


def _host(url: str | None) -> str:
    return (urlsplit(url).hostname if url else None) or "localhost"


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    text = env.get(name)
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        raise SettingsError(f"{name}={text!r}: a number of seconds is expected") from None
    if value < 0:
        raise SettingsError(f"{name}={text!r}: it cannot be negative")
    return value


def _count(env: Mapping[str, str], name: str, default: int) -> int:
    text = env.get(name)
    if text is None:
        return default
    if not (text.strip().isascii() and text.strip().isdigit()) or int(text) < 1:
        raise SettingsError(f"{name}={text!r}: a whole number of at least 1 is expected")
    return int(text)


def base_url(text: str) -> str:
    """scheme://host[:port], without a path: what every absolute URL of the site starts with."""
    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
        raise SettingsError(
            f"REFERENTIEL_BASE_URL={text!r}: write the site's public address, e.g. https://referentiel.example.org"
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise SettingsError(f"REFERENTIEL_BASE_URL={text!r}: no query, fragment or credentials")
    try:
        parts.port  # noqa: B018 (raises on a port out of range)
    except ValueError:
        raise SettingsError(f"REFERENTIEL_BASE_URL={text!r}: the port is not valid") from None
    return f"{parts.scheme}://{parts.netloc.lower()}"


def trusted_proxies(text: str) -> tuple[IPv4Network | IPv6Network, ...]:
    """Addresses or networks, separated by commas: 10.0.0.5, 10.1.0.0/16, ::1."""
    try:
        return tuple(ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip())
    except ValueError as error:
        raise SettingsError(f"REFERENTIEL_TRUSTED_PROXIES={text!r}: {error}") from None


def _limits(text: str) -> dict[str, Limit]:
    try:
        return {**DEFAULT_LIMITS, **parse_limits(text)}
    except ValueError as error:
        raise SettingsError(f"REFERENTIEL_RATE_LIMITS={text!r}: {error}") from None


def database_url_from(env: Mapping[str, str]) -> str:
    url = env.get("REFERENTIEL_DATABASE_URL") or DEFAULT_DATABASE_URL
    check_database_url(url)
    return url


def check_database_url(url: str) -> None:
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        if not url.startswith("sqlite:///") or url == "sqlite:///":
            raise SettingsError(f"REFERENTIEL_DATABASE_URL {url!r}: write sqlite:///path/to/file.db")
    elif scheme not in ("postgresql", "postgres"):
        raise SettingsError(
            f"REFERENTIEL_DATABASE_URL {url!r}: only sqlite:/// and postgresql:// are supported"
        )


def development_secret(database_url: str) -> str:
    """A secret kept in a file beside the database (or the working directory), never in the repo."""
    folder = sqlite_path(database_url).parent if database_url.startswith("sqlite:") else Path(".")
    path = folder / ".referentiel-secret-key.secret"
    if path.exists():
        return path.read_text().strip()
    folder.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    path.touch(mode=0o600)
    path.write_text(secret)
    return secret
