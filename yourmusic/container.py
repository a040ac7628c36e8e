"""Process-wide collaborators, built once in the app lifespan and shared by every request."""

from __future__ import annotations

from dataclasses import dataclass

from yourmusic.cache import CacheStore, build_cache
from yourmusic.integrations.aggregator.client import AggregatorClient, AggregatorConfig
from yourmusic.integrations.mail import MailDispatcher, build_sender
from yourmusic.security.tokens import TokenService, load_key_set
from yourmusic.services.catalog import CatalogService
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

    @classmethod
    def build(cls, settings: Settings) -> Container:
        keys = load_key_set(settings.signing_keys, settings.data_dir)
        cache = CacheStore(build_cache(settings.redis_url, settings.cache_namespace), settings.cache_stale_for)
        aggregator = AggregatorClient(aggregator_config(settings))
        return cls(
            settings=settings,
            tokens=TokenService(keys, settings.token_issuer, settings.token_audience),
            cache=cache,
            mail=MailDispatcher(build_sender(settings.smtp_url, settings.mail_outbox_dir)),
            aggregator=aggregator,
            catalog=CatalogService(aggregator, cache, status_ttl=settings.aggregator_status_ttl),
        )

    async def close(self) -> None:
        """Release what the container opened; pending mail is sent first (graceful shutdown)."""
        await self.mail.close()
        await self.aggregator.close()
        await self.cache.close()
