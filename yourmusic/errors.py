"""Domain errors. Each knows its HTTP status and contract body; GraphQL reads `extensions`.

Raised anywhere below the transports; the REST layer and the GraphQL view render them, so no
transport invents an error shape of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class AppError(Exception):
    status: int = 500
    code: str = "INTERNAL_SERVER_ERROR"
    default_message: str = "Server Error."

    def __init__(self, message: str | None = None, *, headers: Mapping[str, str] | None = None) -> None:
        self.message = message or self.default_message
        self.headers = dict(headers or {})
        super().__init__(self.message)

    @property
    def extensions(self) -> dict[str, Any]:
        """What GraphQL errors carry: the same code as the REST body."""
        return {"code": self.code}

    def body(self) -> dict[str, Any]:
        return {"message": self.message, "code": self.code}


class Unauthenticated(AppError):
    status, code, default_message = 401, "UNAUTHENTICATED", "Unauthenticated."


class InvalidAuthToken(AppError):
    status, code, default_message = 401, "INVALID_AUTH_TOKEN", "The access token is invalid or expired."


class Forbidden(AppError):
    status, code, default_message = 403, "FORBIDDEN", "This action is unauthorized."


class SubscriptionRequired(AppError):
    status, code, default_message = 403, "SUBSCRIPTION_REQUIRED", "An active subscription is required to stream."


class NotFound(AppError):
    status, code, default_message = 404, "NOT_FOUND", "Not found."


class Conflict(AppError):
    status, code, default_message = 409, "CONFLICT", "Conflict."


class AlreadySubscribed(AppError):
    status, code, default_message = 409, "ALREADY_SUBSCRIBED", "The user already has an active subscription."


class InvalidSignature(AppError):
    status, code, default_message = 400, "INVALID_SIGNATURE", "The webhook signature is missing or invalid."


class MalformedEvent(AppError):
    """A correctly signed webhook body that is no usable event; the message says why."""

    status, code, default_message = 400, "MALFORMED_EVENT", "The event is malformed."


class ValidationFailed(AppError):
    """Laravel's 422 shape: `{"message": ..., "errors": {"field": ["..."]}}`."""

    status, code, default_message = 422, "VALIDATION_FAILED", "The given data was invalid."

    def __init__(self, errors: Mapping[str, list[str]], message: str | None = None) -> None:
        super().__init__(message)
        self.errors = {k: list(v) for k, v in errors.items()}

    @property
    def extensions(self) -> dict[str, Any]:
        return {"code": self.code, "errors": self.errors}

    def body(self) -> dict[str, Any]:
        return {"message": self.message, "errors": self.errors}

    @classmethod
    def field(cls, name: str, message: str) -> ValidationFailed:
        return cls({name: [message]})


class UnsupportedMediaType(AppError):
    """A request body in a content type the operation does not read (JSON only, but the token endpoint)."""

    status, code, default_message = 415, "UNSUPPORTED_MEDIA_TYPE", "The request body must be application/json."


class RateLimited(AppError):
    status, code, default_message = 429, "RATE_LIMITED", "Too Many Attempts."

    def __init__(self, retry_after: int, message: str | None = None) -> None:
        super().__init__(message, headers={"Retry-After": str(max(1, int(retry_after)))})
        self.retry_after = max(1, int(retry_after))

    @property
    def extensions(self) -> dict[str, Any]:
        return {"code": self.code, "retryAfter": self.retry_after}


class AggregatorError(AppError):
    status, code, default_message = 502, "AGGREGATOR_ERROR", "The catalog service failed."


class AggregatorTimeout(AppError):
    status, code, default_message = 504, "AGGREGATOR_TIMEOUT", "The catalog service did not answer in time."


class StreamingError(AppError):
    status, code, default_message = 502, "STREAMING_ERROR", "The streaming server failed."


class StreamingTimeout(AppError):
    status, code, default_message = 504, "STREAMING_TIMEOUT", "The streaming server did not answer in time."


class ServiceUnavailable(AppError):
    status, code, default_message = 503, "SERVICE_UNAVAILABLE", "A dependency is unavailable."


class StreamingUnavailable(ServiceUnavailable):
    """The streaming server cannot be reached (connection refused or reset, its circuit open, or it says
    503): the contract's 503 for a dependency that is down."""

    default_message = "The streaming server is unavailable."


class OAuthError(AppError):
    """RFC 6749 §5.2 token-endpoint errors: `{"error": ..., "error_description": ...}`."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.status = status
        self.code = error.upper()
        if error == "invalid_client":
            self.headers["WWW-Authenticate"] = 'Basic realm="yourmusic"'

    @property
    def extensions(self) -> dict[str, Any]:
        return {"code": self.code, "error": self.error}

    def body(self) -> dict[str, Any]:
        return {"error": self.error, "error_description": self.message}


class PayloadTooLarge(AppError):
    """A request body past MAX_BODY_BYTES (raised while it streams in; see yourmusic/bodylimit.py)."""

    status, code, default_message = 413, "PAYLOAD_TOO_LARGE", "The request body is too large."
