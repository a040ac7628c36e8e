"""Process-wide collaborators, built once in the app lifespan and shared by every request."""

from __future__ import annotations

from dataclasses import dataclass

from yourmusic.cache import CacheStore, build_cache
from yourmusic.integrations.aggregator.client import AggregatorClient, AggregatorConfig
from yourmusic.integrations.mail import MailDispatcher, build_sender
from yourmusic.security.otp import OtpHasher, otp_hash_key
from yourmusic.security.tokens import TokenService, load_key_set
from yourmusic.services.catalog import CatalogService
from yourmusic.services.otp import OtpService
from yourmusic.services.passwordless import PasswordlessService
from yourmusic.services.ratelimit import Network, RateLimiter, parse_networks
from yourmusic.services.sessions import SessionService
from yourmusic.settings import Settings


SANDBOX = "sandbox"
SANDBOX_AGGREGATOR_PATH = "/_sandbox/aggregator"


def aggregator_config(settings: Settings) -> AggregatorConfig:
    base = settings.aggregator_url
    if base == SANDBOX:
        base = settings.self_url.rstrip("/") + SANDBOX_AGGREGATOR_PATH + "/1.2"
    return AggregatorConfig(
        base_url=base,
        consumer_key=settings.aggregator_key,
        consumer_secret=settings.aggregator_secret,
        country=settings.aggregator_country,
        connect_timeout=settings.aggregator_connect_timeout,
        total_timeout=settings.aggregator_timeout,
        retries=settings.aggregator_retries,
        breaker_failures=settings.aggregator_breaker_failures,
        breaker_reset=settings.aggregator_breaker_reset,
    )


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
    trusted_proxies: tuple[Network, ...]

    @classmethod
    def build(cls, settings: Settings) -> Container:
        keys = load_key_set(settings.signing_keys, settings.data_dir)
        cache = CacheStore(build_cache(settings.redis_url, settings.cache_namespace), settings.cache_stale_for)
        aggregator = AggregatorClient(aggregator_config(settings))
        tokens = TokenService(keys, settings.token_issuer, settings.token_audience)
        mail = MailDispatcher(build_sender(settings.smtp_url, settings.mail_outbox_dir))
        limiter = RateLimiter(cache.backend)
        sessions = SessionService(
            tokens, cache.backend,
            access_ttl=settings.session_access_ttl, refresh_ttl=settings.refresh_token_ttl,
            onboarding_ttl=settings.onboarding_token_ttl, revocation_cache_ttl=settings.session_revocation_cache_ttl,
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
            trusted_proxies=parse_networks(settings.trusted_proxies),
        )

    async def close(self) -> None:
        """Release what the container opened; pending mail is sent first (graceful shutdown)."""
        await self.mail.close()
        await self.aggregator.close()
        await self.cache.close()
