"""OpenAPI 3.1 generated from the route table (never kept by hand in a second place)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel

from yourmusic import __version__
from yourmusic.rest_compat.core import OAUTH2, UDT, Operation

TAG_ORDER = [
    "Public & Health", "Authentication", "Users", "Profile", "Checkout", "Home",
    "Playlists", "Artists", "Releases", "Tracks", "Streaming", "Billing",
]

_ERRORS: dict[int, tuple[str, str]] = {
    400: ("Bad request (OAuth2 error)", "OAuthError"),
    401: ("Missing, malformed, forged, expired or revoked credentials", "Error"),
    403: ("Authenticated, but not allowed", "Error"),
    404: ("Unknown id, or an id of another tenant", "Error"),
    409: ("Conflict with the current state", "Error"),
    422: ("The given data was invalid", "ValidationError"),
    429: ("Too many attempts (see Retry-After)", "Error"),
    502: ("The aggregator failed", "Error"),
    503: ("A dependency is unavailable", "Error"),
    504: ("The aggregator was too slow", "Error"),
}

_COMMON_SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["message", "code"],
        "properties": {"message": {"type": "string"}, "code": {"type": "string"}},
    },
    "ValidationError": {
        "type": "object",
        "required": ["message", "errors"],
        "properties": {
            "message": {"type": "string", "examples": ["The given data was invalid."]},
            "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
        },
    },
    "OAuthError": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}},
    },
}


def _schema(model: type[BaseModel] | dict[str, Any], components: dict[str, Any], mode: str) -> dict[str, Any]:
    if isinstance(model, dict):
        return model
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}", mode=mode)  # type: ignore[arg-type]
    for name, definition in schema.pop("$defs", {}).items():
        components.setdefault(name, definition)
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", model.__name__)
    components.setdefault(name, schema)
    return {"$ref": f"#/components/schemas/{name}"}


def _parameters(op: Operation, components: dict[str, Any]) -> list[dict[str, Any]]:
    params = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"{(\w+)}", op.path)
    ]
    params += [{"name": name, "in": "header", "required": False, "schema": {"type": "string"}} for name in op.headers]
    if op.query is not None:
        schema = op.query.model_json_schema(mode="validation")
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            params.append({"name": name, "in": "query", "required": name in required, "schema": prop})
    return params


def _operation(op: Operation, components: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "operationId": op.operation_id,
        "summary": op.summary,
        "tags": [op.tag],
    }
    if op.graphql:  # every operation has a GraphQL twin but the Stripe webhook
        out["x-graphql"] = op.graphql
    if op.description:
        out["description"] = op.description
    out["security"] = [{scheme: []} for scheme in op.auth] if op.auth else []
    if op.auth_optional:
        out["security"].insert(0, {})
    params = _parameters(op, components)
    if params:
        out["parameters"] = params
    if op.body is not None:
        content = {"application/json": {"schema": _schema(op.body, components, "validation")}}
        if op.operation_id == "issueClientToken":
            content["application/x-www-form-urlencoded"] = content["application/json"]
        out["requestBody"] = {"required": True, "content": content}
    success: dict[str, Any] = {"description": op.summary}
    if op.status != 204 and op.response is not None:
        schema = _schema(op.response, components, "serialization")
        success["content"] = {op.media_type: {"schema": schema}}
    responses: dict[str, Any] = {str(op.status): success}
    for status in op.errors:
        description, schema_name = _ERRORS[status]
        if status == 400 and op.operation_id != "issueClientToken":  # only the token endpoint speaks RFC 6749
            description, schema_name = "Bad request", "Error"
        responses[str(status)] = {
            "description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_name}"}}},
        }
    out["responses"] = responses
    return out


def build_openapi(operations: list[Operation]) -> dict[str, Any]:
    components: dict[str, Any] = dict(_COMMON_SCHEMAS)
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        for i, method in enumerate(op.methods):
            doc = _operation(op, components)
            if i:  # an alias method (PUT beside PATCH) needs its own unique operationId
                doc["operationId"] = f"{op.operation_id}{method.capitalize()}"
            paths.setdefault(op.path, {})[method.lower()] = doc
    used_tags = {op.tag for op in operations}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "YourMusic API",
            "version": __version__,
            "description": "API for YourMusic streaming service. Provides endpoints for user management, "
            "music catalog access, and streaming. Every operation has a GraphQL twin (`x-graphql`) at /graphql.",
        },
        "tags": [{"name": t} for t in TAG_ORDER if t in used_tags],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                OAUTH2: {
                    "type": "oauth2",
                    "description": "Client token for a tenant backend.",
                    "flows": {"clientCredentials": {"tokenUrl": "/api/oauth/token", "scopes": {}}},
                },
                UDT: {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                      "description": "User token: a UDT or a session access token."},
            },
        },
    }
