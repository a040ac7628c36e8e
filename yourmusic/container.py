"""Process-wide collaborators, built once in the app lifespan and shared by every request."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from joserfc.jwk import KeySet

from yourmusic.cache import CacheStore, build_cache
from yourmusic.integrations.aggregator.client import AggregatorClient, AggregatorConfig
from yourmusic.integrations.http import HttpPolicy
from yourmusic.integrations.retry import RetryPolicy
from yourmusic.integrations.mail import MailDispatcher, build_sender
from yourmusic.live.bus import build_bus
from yourmusic.live.hub import Hub
from yourmusic.services.revocation import RevocationChecks
from yourmusic.integrations.streaming.client import StreamingClient, StreamingConfig
from yourmusic.integrations.stripe.client import StripeConfig, StripeGateway
from yourmusic.pagination import Cursors
from yourmusic.security.otp import OtpHasher, otp_hash_key
from yourmusic.security.secrets import derive_key
from yourmusic.security.stream_links import LABEL as STREAM_LINK_LABEL
from yourmusic.security.stream_links import StreamLinkSigner
from yourmusic.security.tokens import TokenService, load_key_set
from yourmusic.services.catalog import CatalogService
from yourmusic.services.origin_directory import OriginDirectory
from yourmusic.services.otp import OtpService
from yourmusic.services.passwordless import PasswordlessService
from yourmusic.services.plays import ForwardPolicy, PlayForwarder
from yourmusic.services.ratelimit import RateLimiter, build_limiter
from yourmusic.services.sessions import SessionService
from yourmusic.services.streaming import StreamingService
from yourmusic.settings import SANDBOX, Settings

SANDBOX_AGGREGATOR_PATH = "/_sandbox/aggregator"
SANDBOX_STREAMING_PATH = "/_sandbox/streaming"
SANDBOX_STRIPE_PATH = "/_sandbox/stripe"


def upstream_retry(retries: int) -> RetryPolicy:
    """An upstream client's retries: `retries` extra attempts (AGGREGATOR_RETRIES, STREAMING_RETRIES)."""
    return replace(HttpPolicy.retry, attempts=1 + max(0, retries))


def aggregator_config(settings: Settings) -> AggregatorConfig:
    base = settings.aggregator_url
    if base == SANDBOX:
        base = settings.self_url.rstrip("/") + SANDBOX_AGGREGATOR_PATH + "/1.2"
    return AggregatorConfig(
        base_url=base,
        consumer_key=settings.aggregator_key,
        consumer_secret=settings.aggregator_secret,
        country=settings.aggregator_country,
        policy=HttpPolicy(
            connect_timeout=settings.aggregator_connect_timeout, total_timeout=settings.aggregator_timeout,
            retry=upstream_retry(settings.aggregator_retries), breaker_failures=settings.aggregator_breaker_failures,
            breaker_reset=settings.aggregator_breaker_reset,
        ),
    )


def stripe_config(settings: Settings) -> StripeConfig:
    base = settings.stripe_api_base
    if base == SANDBOX:
        base = settings.self_url.rstrip("/") + SANDBOX_STRIPE_PATH
    return StripeConfig(api_key=settings.stripe_api_key, api_base=base, timeout=settings.stripe_timeout,
                        max_network_retries=settings.stripe_max_network_retries)


def streaming_service(settings: Settings, cache: CacheStore, keys: KeySet) -> StreamingService:
    base = settings.streaming_url
    if base == SANDBOX:
        base = settings.self_url.rstrip("/") + SANDBOX_STREAMING_PATH
    policy = HttpPolicy(
        connect_timeout=settings.streaming_connect_timeout, total_timeout=settings.streaming_timeout,
        retry=upstream_retry(settings.streaming_retries), breaker_failures=settings.streaming_breaker_failures,
        breaker_reset=settings.streaming_breaker_reset,
    )
    client = StreamingClient(StreamingConfig(base_url=base, api_key=settings.streaming_key, policy=policy))
    return StreamingService(client, cache, signing_secret=settings.streaming_signing_secret,
                            url_ttl=settings.streaming_url_ttl,
                            links=StreamLinkSigner(derive_key(keys, STREAM_LINK_LABEL)),
                            link_ttl=settings.streaming_link_ttl)


def forward_policy(settings: Settings) -> ForwardPolicy:
    return ForwardPolicy(
        interval=settings.plays_forward_interval, batch_min=settings.plays_batch_min,
        batch_max=settings.plays_batch_max, max_wait=settings.plays_max_wait,
        retry=RetryPolicy(attempts=None, wait_initial=settings.plays_retry_base, wait_max=settings.plays_retry_cap),
        claim_ttl=settings.plays_claim_ttl,
    )


CURSOR_KEY_LABEL = b"yourmusic/cursor-key/v1"


@dataclass
class Container:
    settings: Settings
    tokens: TokenService
    cache: CacheStore
    mail: MailDispatcher
    aggregator: AggregatorClient
    catalog: CatalogService
    limiter: RateLimiter
    sessions: SessionService
    passwordless: PasswordlessService
    streaming: StreamingService
    plays: PlayForwarder = field(init=False)  # forwards stored play reports to the aggregator
    cors: OriginDirectory = field(init=False)  # every tenant's CORS origins, for the middleware
    revocations: RevocationChecks = field(init=False)  # revoked clients and tenants: their tokens fail
    live: Hub = field(init=False)  # subscribers of this process and the bus that feeds them (live/)
    stripe: StripeGateway
    cursors: Cursors  # signs the keyset cursors of every list (a key derived from the signing key)

    @classmethod
    def build(cls, settings: Settings) -> Container:
        keys = load_key_set(settings.signing_keys, settings.data_dir)
        cache = CacheStore(build_cache(settings.redis_url, settings.cache_namespace), settings.cache_stale_for)
        aggregator = AggregatorClient(aggregator_config(settings))
        tokens = TokenService(keys, settings.token_issuer, settings.token_audience)
        mail = MailDispatcher(build_sender(settings.smtp_url, settings.mail_outbox_dir))
        limiter = build_limiter(settings.redis_url, settings.cache_namespace)
        sessions = SessionService(
            tokens, cache,
            access_ttl=settings.session_access_ttl, refresh_ttl=settings.refresh_token_ttl,
            onboarding_ttl=settings.onboarding_token_ttl, revocation_cache_ttl=settings.session_revocation_cache_ttl,
            reuse_interval=settings.session_refresh_reuse_interval,
        )
        otp = OtpService(
            OtpHasher(otp_hash_key(settings.otp_hash_key, keys)),
            ttl=settings.otp_ttl, max_attempts=settings.otp_max_attempts,
        )
        passwordless = PasswordlessService(
            otp, sessions, limiter, mail,
            mail_from=settings.mail_from, mail_from_tenants=settings.mail_from_tenants,
            send_interval=settings.otp_send_interval,
            sends_per_window=settings.otp_sends_per_hour, sends_window=settings.otp_sends_window,
            ip_limit=settings.otp_ip_limit, ip_window=settings.otp_ip_window,
        )
        return cls(
            settings=settings,
            tokens=tokens,
            cache=cache,
            mail=mail,
            aggregator=aggregator,
            catalog=CatalogService(aggregator, cache, status_ttl=settings.aggregator_status_ttl),
            limiter=limiter,
            sessions=sessions,
            passwordless=passwordless,
            streaming=streaming_service(settings, cache, keys),
            stripe=StripeGateway(stripe_config(settings)),
            cursors=Cursors(derive_key(keys, CURSOR_KEY_LABEL)),
        )

    def __post_init__(self) -> None:
        self.plays = PlayForwarder(self.aggregator, self.catalog, forward_policy(self.settings))
        self.cors = OriginDirectory(self.cache)
        self.revocations = RevocationChecks(self.cache.backend, self.settings.session_revocation_cache_ttl)
        self.live = Hub(build_bus(self.settings.redis_url, self.settings.cache_namespace))

    def start_background(self) -> None:
        """Background jobs of this process; started in the app lifespan, inside the database context."""
        if self.settings.plays_forward:
            self.plays.start()

    async def close(self) -> None:
        """Release what the container opened; pending mail is sent first (graceful shutdown)."""
        await self.plays.stop()
        await self.mail.close()
        await self.aggregator.close()
        await self.streaming.client.close()
        await self.stripe.close()
        await self.cache.close()
        await self.limiter.close()
        await self.live.close()
