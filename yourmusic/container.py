"""Process-wide collaborators, built once in the app lifespan and shared by every request."""

from __future__ import annotations

from dataclasses import dataclass

from yourmusic.cache import CacheStore, build_cache
from yourmusic.integrations.mail import MailDispatcher, build_sender
from yourmusic.security.tokens import TokenService, load_key_set
from yourmusic.settings import Settings


@dataclass
class Container:
    settings: Settings
    tokens: TokenService
    cache: CacheStore
    mail: MailDispatcher

    @classmethod
    def build(cls, settings: Settings) -> Container:
        keys = load_key_set(settings.signing_keys, settings.data_dir)
        return cls(
            settings=settings,
            tokens=TokenService(keys, settings.token_issuer, settings.token_audience),
            cache=CacheStore(build_cache(settings.redis_url, settings.cache_namespace), settings.cache_stale_for),
            mail=MailDispatcher(build_sender(settings.smtp_url, settings.mail_outbox_dir)),
        )

    async def close(self) -> None:
        """Release what the container opened; pending mail is sent first (graceful shutdown)."""
        await self.mail.close()
        await self.cache.close()
