"""Process-wide collaborators, built once in the app lifespan and shared by every request."""

from __future__ import annotations

from dataclasses import dataclass

from yourmusic.security.tokens import TokenService, load_key_set
from yourmusic.settings import Settings


@dataclass
class Container:
    settings: Settings
    tokens: TokenService

    @classmethod
    def build(cls, settings: Settings) -> Container:
        keys = load_key_set(settings.signing_keys, settings.data_dir)
        return cls(
            settings=settings,
            tokens=TokenService(keys, settings.token_issuer, settings.token_audience),
        )

    async def close(self) -> None:
        """Release what the container opened (upstream sessions, caches)."""
