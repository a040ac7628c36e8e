"""One settings object, read from the environment.

Every default is the embedded one (SQLite file, in-memory cache, sandboxes, mail to the log), so
`yourmusic serve` works on a fresh machine; production overrides them with environment variables.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


SANDBOX = "sandbox"
# Settings whose defaults are the bundled sandboxes' public values: production must set each of them.
SANDBOX_SECRETS = ("aggregator_key", "aggregator_secret", "streaming_key", "streaming_signing_secret",
                   "stripe_api_key", "stripe_webhook_secret")
SANDBOX_UPSTREAMS = ("aggregator_url", "streaming_url", "stripe_api_base")


class ConfigurationError(Exception):
    """The settings cannot run this profile; `names` are the environment variables to set."""

    def __init__(self, message: str, names: list[str]) -> None:
        super().__init__(message)
        self.names = names


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

    # HLS streaming server. "sandbox": the bundled one, mounted in-process at /_sandbox/streaming and
    # reached over loopback HTTP (SELF_URL), like the aggregator sandbox.
    streaming_url: str = "sandbox"
    streaming_key: str = Field(default="yourmusic-streaming-sandbox", repr=False)  # X-Api-Key
    # Shared with the streaming server: segment URLs are signed with it (HMAC over path, user, device, expiry).
    streaming_signing_secret: str = Field(default="yourmusic-streaming-sandbox-secret", repr=False)
    streaming_url_ttl: int = 7200  # seconds a signed segment URL stays valid
    # Seconds a signed manifest link (GET /api/stream/{id}/url) may be opened; its segments then get STREAMING_URL_TTL.
    streaming_link_ttl: int = Field(default=300, ge=10, le=3600)
    streaming_connect_timeout: float = 1.0
    streaming_timeout: float = 5.0
    streaming_retries: int = 2
    streaming_breaker_failures: int = 5
    streaming_breaker_reset: float = 10.0

    # Play reports: stored first, forwarded to the aggregator's play log in the background, in batches of
    # PLAYS_BATCH_MIN..PLAYS_BATCH_MAX, or whatever is waiting once the oldest is PLAYS_MAX_WAIT seconds old.
    plays_forward: bool = True  # run the forwarder in this process (every instance may; rows are claimed)
    plays_forward_interval: float = 5.0  # seconds between two looks at the queue
    plays_batch_min: int = 10
    plays_batch_max: int = 20
    plays_max_wait: float = 60.0
    plays_retry_base: float = 5.0  # wait after the n-th failed send: up to base * 2^(n-1) (full jitter), capped
    plays_retry_cap: float = 600.0
    plays_claim_ttl: float = 60.0  # a claimed batch whose sender died is free again after this

    # Cache: entries past their TTL may still be served for this long when the upstream fails.
    cache_namespace: str = "ym"
    cache_stale_for: int = 3600

    # Mail: SMTP when SMTP_URL is set (smtp://user:pass@host:587?starttls=1, smtps://...), else the log.
    smtp_url: str | None = Field(default=None, repr=False)
    mail_outbox_dir: str | None = None
    mail_from: str = "YourMusic <no-reply@yourmusic.local>"

    # Passwordless sign-in (email OTP). Codes: 6 digits, single use, newest only, keyed hash at rest.
    otp_ttl: int = 600  # seconds a code is valid
    otp_max_attempts: int = 5  # wrong tries that kill a code
    otp_send_interval: int = 60  # minimum seconds between two codes to one address
    otp_sends_per_hour: int = 5  # codes per address per OTP_SENDS_WINDOW
    otp_sends_window: int = 3600  # an hour (shorter only in tests)
    otp_ip_limit: int = 30  # requests per client IP per OTP_IP_WINDOW, both OTP endpoints together
    otp_ip_window: int = 60
    # HMAC key for codes at rest. Empty: derived from the signing key set (every instance sharing
    # SIGNING_KEYS agrees; a key rotation invalidates codes in flight, at most OTP_TTL seconds old).
    otp_hash_key: str | None = Field(default=None, repr=False)
    session_access_ttl: int = 3600  # access token of a sign-in session
    refresh_token_ttl: int = 2_592_000  # absolute life of a refresh-token family (rotation never extends it)
    onboarding_token_ttl: int = 900
    # How long "this session family is not revoked" may be cached (revocation also clears it).
    session_revocation_cache_ttl: int = 5
    # Seconds after its first use within which a refresh token may be presented again and still yields a
    # working session (a retry after a lost answer; Okta's default grace period); after it, reuse revokes
    # the family. 0: any second use revokes.
    session_refresh_reuse_interval: float = Field(default=30.0, ge=0, le=300)
    # Proxies whose X-Forwarded-For is believed (comma-separated IPs or CIDRs); empty: none.
    trusted_proxies: str = ""
    # Per-tenant sender addresses as JSON, e.g. {"acme": "Acme <no-reply@acme.example>"}; else MAIL_FROM.
    mail_from_tenants: dict[str, str] = Field(default_factory=dict)

    # Stripe (billing). STRIPE_API_BASE "sandbox": the bundled Stripe sandbox, mounted in-process at
    # /_sandbox/stripe and reached over loopback HTTP (SELF_URL); it signs its webhooks with
    # STRIPE_WEBHOOK_SECRET and posts them to SELF_URL/api/webhooks/stripe.
    stripe_api_key: str = Field(default="sk_test_yourmusic_sandbox", repr=False)
    stripe_api_base: str = "sandbox"
    stripe_webhook_secret: str = Field(default="whsec_yourmusic_sandbox", repr=False)
    stripe_timeout: float = 10.0  # seconds per Stripe call
    stripe_max_network_retries: int = 1  # the SDK's own retries (idempotency keys make them safe)
    stripe_webhook_tolerance: int = 300  # seconds a signed webhook stays acceptable

    # Request limits: every route answers 413 PAYLOAD_TOO_LARGE past this many body bytes.
    max_body_bytes: int = 1_048_576

    # CORS: origins allowed for every tenant (comma-separated; empty: none), besides each tenant's own.
    cors_origins: str = ""

    # PROFILE=production switches GraphQL introspection and GraphiQL off and persisted queries to the
    # allow-list, each unless set explicitly. GraphQL limits (0 turns one off): depth, aliases, tokens,
    # cost (list fields weighted by their page size, GRAPHQL_LIST_WEIGHT without one; schema/limits.py).
    profile: str = "default"
    graphql_max_depth: int = 10
    graphql_max_aliases: int = 30
    graphql_max_tokens: int = 2000
    graphql_max_cost: int = 5000
    graphql_list_weight: int = 10
    graphql_max_repeated_fields: int = 10  # fields under one response name in one selection set
    graphql_introspection: bool | None = None  # default profile: true; production: false
    graphiql: bool | None = None  # default profile: true; production: false
    graphql_persisted_queries: str | None = None  # off | apq | allowlist; default profile: apq; production: allowlist
    persisted_queries_file: str | None = None  # allow-list: {"<sha256>": "<document>"} or an Apollo manifest
    persisted_queries_ttl: int = 86_400  # seconds an APQ registration stays in the shared cache

    # Live updates (GraphQL subscriptions over graphql-transport-ws on /graphql). Per connection: at most
    # LIVE_SUBSCRIPTIONS_PER_CONNECTION operations at once; per user: at most LIVE_CONNECTIONS_PER_USER
    # connections in one worker process. The server pings every LIVE_KEEPALIVE_INTERVAL seconds (0: never),
    # closes (4408) a connection not initialised within LIVE_INIT_TIMEOUT seconds, and checks the caller's
    # token again (revoked client, tenant, session; user gone) every LIVE_RECHECK_INTERVAL seconds.
    live_subscriptions_per_connection: int = Field(default=20, ge=1, le=1000)
    live_connections_per_user: int = Field(default=10, ge=1, le=10_000)
    live_keepalive_interval: float = Field(default=15.0, ge=0)
    live_init_timeout: float = Field(default=10.0, gt=0, le=300)
    live_recheck_interval: float = Field(default=30.0, gt=0)

    # Operations: log format (auto: text when stderr is a terminal, else JSON; or json, text), an access
    # line per request, /metrics, readiness checks' timeout, and how long `serve` lets in-flight requests
    # finish on SIGTERM.
    log_format: str = "auto"
    log_level: str = "info"
    access_log: bool = True
    metrics_enabled: bool = True
    ready_timeout: float = 2.0
    ready_requires_cache: bool = True
    shutdown_timeout: float = 25.0
    # OpenTelemetry tracing (observability/tracing.py): on when an OTLP endpoint is set. The exporter reads
    # the other standard OTEL_EXPORTER_OTLP_* variables (headers, timeout, ...) itself.
    otel_exporter_otlp_endpoint: str | None = None
    otel_service_name: str = "yourmusic"

    @model_validator(mode="after")
    def _apply_profile(self) -> Settings:
        production = self.production
        if self.graphql_introspection is None:
            self.graphql_introspection = not production
        if self.graphiql is None:
            self.graphiql = not production
        if self.graphql_persisted_queries is None:
            self.graphql_persisted_queries = "allowlist" if production else "apq"
        self.graphql_persisted_queries = self.graphql_persisted_queries.strip().lower()
        return self

    @property
    def production(self) -> bool:
        return self.profile.strip().lower() == "production"

    @property
    def smtp_configured(self) -> bool:
        """Whether mail goes over SMTP (`SMTP_URL` set); else to the log and, in development, the outbox."""
        return bool(self.smtp_url and self.smtp_url.strip())

    def sandbox_settings(self) -> list[str]:
        """The environment variables still on a sandbox value: a secret at its public default, or an
        upstream left at `sandbox` (which would also mount that sandbox and its control endpoints)."""
        fields = type(self).model_fields
        names = [n for n in SANDBOX_SECRETS if getattr(self, n) == fields[n].default]
        names += [n for n in SANDBOX_UPSTREAMS if getattr(self, n).strip().lower() == SANDBOX]
        return sorted(n.upper() for n in names)

    def check_profile(self) -> None:
        """PROFILE=production refuses to start on any sandbox setting (ConfigurationError naming them)."""
        names = self.sandbox_settings() if self.production else []
        if names:
            raise ConfigurationError(
                "PROFILE=production refuses to start on sandbox settings; set " + ", ".join(names), names)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once (re-reading the environment per request is waste)."""
    return Settings()
