"""One settings object, read from the environment.

Every default is the embedded one (SQLite file, in-memory cache, sandboxes, mail to the log), so
`yourmusic serve` works on a fresh machine; production overrides them with environment variables.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    # Storage
    database_url: str = "sqlite://var/yourmusic.sqlite3"
    redis_url: str | None = None
    data_dir: Path = Path("var")

    # Tokens: a JSON Web Key Set of Ed25519 private keys; the first signs, all verify (rotation).
    # Empty: a key set is generated once into DATA_DIR/signing-keys.json (embedded default only).
    signing_keys: str | None = Field(default=None, repr=False)
    token_issuer: str = "yourmusic"
    token_audience: str = "yourmusic-api"
    client_token_ttl: int = 3600
    udt_ttl: int = 600

    # First start: seed a demo tenant with one client (printed once).
    seed_demo: bool = True
    demo_tenant_slug: str = "demo"

    # Catalog aggregator (7digital API 1.2 style). "sandbox": the bundled sandbox, mounted in-process
    # at /_sandbox/aggregator and reached over loopback HTTP (SELF_URL) through the same client.
    aggregator_url: str = "sandbox"
    self_url: str = "http://127.0.0.1:8000"
    aggregator_key: str = "yourmusic-sandbox"
    aggregator_secret: str = Field(default="yourmusic-sandbox-secret", repr=False)
    aggregator_country: str = "US"
    aggregator_connect_timeout: float = 1.0
    aggregator_timeout: float = 5.0
    aggregator_retries: int = 2
    aggregator_breaker_failures: int = 5
    aggregator_breaker_reset: float = 10.0
    aggregator_status_ttl: float = 5.0

    # Cache: entries past their TTL may still be served for this long when the upstream fails.
    cache_namespace: str = "ym"
    cache_stale_for: int = 3600

    # Mail: SMTP when SMTP_URL is set (smtp://user:pass@host:587?starttls=1, smtps://...), else the log.
    smtp_url: str | None = Field(default=None, repr=False)
    mail_outbox_dir: str | None = None
    mail_from: str = "YourMusic <no-reply@yourmusic.local>"

    # Request limits
    max_body_bytes: int = 1_048_576

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once (re-reading the environment per request is waste)."""
    return Settings()
