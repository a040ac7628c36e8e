"""OpenAPI 3.1 generated from the route table (never kept by hand in a second place)."""

from __future__ import annotations

import copy
import re
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema

from yourmusic import __version__
from yourmusic import errors as E
from yourmusic.rest_compat.core import JSON, OAUTH2, UDT, Operation
from yourmusic.rest_compat.reference import (FIELDS, HEADER_PARAMS, PATH_PARAMS, QUERY_PARAMS, REFERENCE, TAGS,
                                             Doc)

# The reference's tags in its order (Public & Health ... Streaming), then ours (Billing).
TAG_ORDER = list(TAGS)

_ERRORS: dict[int, tuple[str, str]] = {
    400: ("Bad request (OAuth2 error)", "OAuthError"),
    401: ("Missing, malformed, forged, expired or revoked credentials", "Error"),
    403: ("Authenticated, but not allowed", "Error"),
    404: ("Unknown id, or an id of another tenant", "Error"),
    409: ("Conflict with the current state", "Error"),
    413: ("The request body is larger than MAX_BODY_BYTES (PAYLOAD_TOO_LARGE)", "Error"),
    415: ("The request body is in a content type this operation does not read", "Error"),
    422: ("The given data was invalid", "ValidationError"),
    429: ("Too many attempts (see Retry-After)", "Error"),
    502: ("The aggregator failed", "Error"),
    503: ("A dependency is unavailable", "Error"),
    504: ("The aggregator was too slow", "Error"),
}
# The streaming operations' upstream is the streaming server (README "Streaming"): what each status means there.
_STREAMING_ERRORS: dict[int, str] = {
    502: "The streaming server failed: an error answer, or a playlist that is unreadable or cannot be signed "
         "(STREAMING_ERROR)",
    503: "The streaming server is down (no connection, its circuit open, or it answered 503), or the database is: "
         "SERVICE_UNAVAILABLE",
    504: "The streaming server did not answer in time (STREAMING_TIMEOUT)",
}


def _upstream(op: Operation) -> str:
    return "streaming" if op.tag == "Streaming" else "aggregator"

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


# Every operation reads the caller's request id (README, "Operations"); one shared definition.
REQUEST_ID = "RequestId"
_REQUEST_ID_PARAM = {
    "name": "X-Request-Id", "in": "header", "required": False,
    "description": "Your id for this request (1-128 characters of `A-Za-z0-9._-`): echoed in the response's "
                   "`X-Request-Id` and on every log line of the request. Absent or malformed: the server makes one "
                   "(32 hex digits).",
    "schema": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,128}$"},
}


class _ContractSchema(GenerateJsonSchema):
    """Pydantic's JSON Schema without the titles it makes up from field names ("Pm Type"): Redoc showed
    them as "Pm Type (string) or Pm Type (null)". Components keep their names as titles."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


def _component(model: type[BaseModel], components: dict[str, Any], mode: str, name: str | None = None) -> str:
    """Register `model` (and the models it refers to) as components; its component name."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}", mode=mode,  # type: ignore[arg-type]
                                     schema_generator=_ContractSchema)
    for def_name, definition in schema.pop("$defs", {}).items():
        components.setdefault(def_name, definition)
    name = name or re.sub(r"[^A-Za-z0-9_.-]", "_", model.__name__)
    if name != schema.get("title"):
        schema["title"] = name
    components.setdefault(name, schema)
    return name


def _schema(model: type[BaseModel] | dict[str, Any], components: dict[str, Any], mode: str) -> dict[str, Any]:
    """A model as a `$ref` to its component. A schema written as a dict is used in place, each model class
    inside it (`{"items": CatalogTrack}`) replaced by a `$ref` to its component."""
    if isinstance(model, dict):
        return _resolve_models(model, components, mode)
    return {"$ref": f"#/components/schemas/{_component(model, components, mode)}"}


def _resolve_models(node: Any, components: dict[str, Any], mode: str) -> Any:
    if isinstance(node, type) and issubclass(node, BaseModel):
        return {"$ref": f"#/components/schemas/{_component(node, components, mode)}"}
    if isinstance(node, dict):
        return {key: _resolve_models(value, components, mode) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolve_models(value, components, mode) for value in node]
    return node


def _describe_fields(components: dict[str, Any]) -> None:
    """The reference's (and this service's) descriptions of JSON fields (`FIELDS`: `Component.field` first,
    then `field`) on every component property that carries none of its own."""
    for name, schema in components.items():
        for prop_name, prop in schema.get("properties", {}).items():
            text = FIELDS.get(f"{name}.{prop_name}") or FIELDS.get(prop_name)
            if text and "description" not in prop:
                prop["description"] = text


def _body_schemas(op: Operation, components: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The body's schema per media type. A body read from several media types gets a component per media
    type beyond the first (`TokenRequestForm`): the same component under two media types makes
    openapi-python-client emit a function whose branches cannot tell them apart."""
    assert op.body is not None
    base = _component(op.body, components, "validation")
    out = {}
    for i, kind in enumerate(op.consumes):
        name = base if i == 0 else f"{base}{_MEDIA_SUFFIX.get(kind, str(i))}"
        if name not in components:
            components[name] = {**copy.deepcopy(components[base]), "title": name}
        out[kind] = {"$ref": f"#/components/schemas/{name}"}
    return out


_MEDIA_SUFFIX = {"application/x-www-form-urlencoded": "Form"}


def _parameters(op: Operation, components: dict[str, Any]) -> list[dict[str, Any]]:
    doc = REFERENCE.get(op.operation_id, Doc())
    params = []
    for name in re.findall(r"{(\w+)}", op.path):
        description, fmt = PATH_PARAMS.get(name, ("", None))
        param: dict[str, Any] = {"name": name, "in": "path", "required": True,
                                 "schema": {"type": "string", **({"format": fmt} if fmt else {})}}
        if doc.path_params.get(name) or description:
            param["description"] = doc.path_params.get(name) or description
        params.append(param)
    for name in op.headers:
        params.append({"name": name, "in": "header", "required": False, "schema": {"type": "string"},
                       **HEADER_PARAMS.get(name, {})})
    if op.query is not None:
        schema = op.query.model_json_schema(mode="validation")
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            param = {"name": name, "in": "query", "required": name in required, "schema": prop}
            if name in QUERY_PARAMS and "description" not in prop:
                param["description"] = QUERY_PARAMS[name]
            params.append(param)
    params.append({"$ref": f"#/components/parameters/{REQUEST_ID}"})
    return params


def _description(op: Operation, doc: Doc) -> str:
    """The reference's text first, then this service's own notes, unless they already include it or
    begin with it (a note that goes on from the reference's sentence replaces it, not repeats it)."""
    if not doc.description:
        return op.description
    if not op.description or doc.description in op.description or op.description.startswith(
            doc.description.rstrip(".")):
        return op.description or doc.description
    return f"{doc.description}\n\n{op.description}"


def _examples(samples: dict[str, Any]) -> dict[str, Any]:
    return {name: {"summary": name.capitalize(), "value": value} for name, value in samples.items()}


def _error_examples(op: Operation, status: int, components: dict[str, Any]) -> dict[str, Any]:
    """Every error body the contract gives this operation at this status, as named examples."""
    def err(exc: type[E.AppError], message: str | None = None) -> dict[str, Any]:
        return {"message": message or exc.default_message, "code": exc.code}

    token_endpoint = op.operation_id == "issueClientToken"
    upstream = _upstream(op)
    if status == 400:
        if token_endpoint:
            return {"invalid_request": {"error": "invalid_request", "error_description": "The grant_type parameter is required."},
                    "unsupported_grant_type": {"error": "unsupported_grant_type",
                                               "error_description": "Only the client_credentials grant is supported."}}
        return {"INVALID_SIGNATURE": err(E.InvalidSignature),
                "MALFORMED_EVENT": err(E.MalformedEvent, "data.object.customer: Input should be a valid string")}
    if status == 401:
        if token_endpoint:
            return {"invalid_client": {"error": "invalid_client", "error_description": "Client authentication failed."}}
        out = {}
        signed_link = op.operation_id == "streamSignedManifest"  # the URL is the credential
        if (op.auth and not op.auth_optional) or signed_link:
            out["UNAUTHENTICATED"] = err(E.Unauthenticated)
        out["INVALID_AUTH_TOKEN"] = err(E.InvalidAuthToken, "The stream link has expired." if signed_link else None)
        return out
    if status == 403:
        out = {"FORBIDDEN": err(E.Forbidden)}
        if op.tag == "Streaming" and op.operation_id != "reportPlay":
            out["SUBSCRIPTION_REQUIRED"] = err(E.SubscriptionRequired)
        return out
    if status == 404:
        return {"NOT_FOUND": err(E.NotFound)}
    if status == 409:
        return {"ALREADY_SUBSCRIBED": err(E.AlreadySubscribed)}
    if status == 422:
        field = _first_field(op, components)
        return {"VALIDATION_FAILED": {"message": E.ValidationFailed.default_message,
                                      "errors": {field: [f"The {field.replace('_', ' ')} field is required."]}}}
    if status == 415:
        if token_endpoint:
            return {"invalid_request": {"error": "invalid_request", "error_description": op.unsupported_media_type().message}}
        return {"UNSUPPORTED_MEDIA_TYPE": err(E.UnsupportedMediaType, op.unsupported_media_type().message)}
    if status == 413:
        return {"PAYLOAD_TOO_LARGE": err(E.PayloadTooLarge, "The request body is too large (at most 1048576 bytes).")}
    if status == 429:
        return {"RATE_LIMITED": err(E.RateLimited)}
    if status == 502:
        return {"STREAMING_ERROR": err(E.StreamingError)} if upstream == "streaming" else {"AGGREGATOR_ERROR": err(E.AggregatorError)}
    if status == 504:
        return {"STREAMING_TIMEOUT": err(E.StreamingTimeout)} if upstream == "streaming" else {"AGGREGATOR_TIMEOUT": err(E.AggregatorTimeout)}
    if status == 503:
        if op.operation_id == "aggregatorStatus":
            return {"down": {"status": "down"}}
        if upstream == "streaming":
            return {"SERVICE_UNAVAILABLE": err(E.StreamingUnavailable)}
        return {"SERVICE_UNAVAILABLE": err(E.ServiceUnavailable)}
    return {}


def _first_field(op: Operation, components: dict[str, Any]) -> str:
    """A field a 422 may name: the body's first required field, else the first query parameter."""
    for model in (op.body, op.query):
        if model is not None:
            schema = model.model_json_schema(mode="validation")
            names = schema.get("required") or list(schema.get("properties", {}))
            if names:
                return names[0]
    return "body"


def _operation(op: Operation, components: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "operationId": op.operation_id,
        "summary": op.summary,
        "tags": [op.tag],
    }
    if op.graphql:  # every operation has a GraphQL twin but the Stripe webhook
        out["x-graphql"] = op.graphql
    doc = REFERENCE.get(op.operation_id, Doc())
    if doc.tags:
        out["tags"] = [op.tag, *doc.tags]
    description = _description(op, doc)
    if description:
        out["description"] = description
    out["security"] = [{scheme: []} for scheme in op.auth] if op.auth else []
    if op.auth_optional:
        out["security"].insert(0, {})
    params = _parameters(op, components)
    if params:
        out["parameters"] = params
    if op.body is not None:
        content: dict[str, Any] = {}
        for kind, schema in _body_schemas(op, components).items():  # any other media type is a 415
            content[kind] = {"schema": schema}
            if doc.request is not None and (kind == JSON or isinstance(doc.request, dict)):
                content[kind]["example"] = doc.request
        # Required only when the body has a required field: an all-optional PATCH without a body is a no-op.
        required = bool(op.body.model_json_schema(mode="validation").get("required"))
        out["requestBody"] = {"required": required, "content": content}
    success: dict[str, Any] = {"description": op.summary}
    if op.status != 204 and op.response is not None:
        schema = _schema(op.response, components, "serialization")
        success["content"] = {op.media_type: {"schema": schema}}
        if doc.responses:
            success["content"][op.media_type]["examples"] = _examples(doc.responses)
        elif doc.response is not None:
            success["content"][op.media_type]["example"] = doc.response
        for media, model in op.alternates:
            success["content"][media] = {"schema": _schema(model, components, "serialization")}
    responses: dict[str, Any] = {str(op.status): success}
    errors = op.errors
    if op.body is not None:  # every body is bounded (413) and typed (415)
        errors = (*errors, *(s for s in (413, 415) if s not in errors))
    for status in errors:
        description, schema_name = _ERRORS[status]
        if _upstream(op) == "streaming" and status in _STREAMING_ERRORS:
            description = _STREAMING_ERRORS[status]
        if status == 400 and op.operation_id != "issueClientToken":  # only the token endpoint speaks RFC 6749
            description, schema_name = "Bad request", "Error"
        if op.oauth and status in (401, 415):  # RFC 6749 §5.2: invalid_client, invalid_request
            description, schema_name = ("Client authentication failed" if status == 401 else description), "OAuthError"
        schema_ref: dict[str, Any] = {"$ref": f"#/components/schemas/{schema_name}"}
        if status == 503 and op.operation_id == "aggregatorStatus":  # the status body, not an error
            description, schema_ref = "The aggregator is down", _schema(op.response, components, "serialization")
        media: dict[str, Any] = {"schema": schema_ref}
        examples = _error_examples(op, status, components)
        if examples:
            media["examples"] = {name: {"summary": name, "value": value} for name, value in examples.items()}
        response_doc: dict[str, Any] = {"description": description, "content": {"application/json": media}}
        if status == 401 and op.auth:
            response_doc["headers"] = {"WWW-Authenticate": {
                "description": 'RFC 6750 §3: `Bearer realm="yourmusic"`, plus `error="invalid_token"` when the token '
                "sent is malformed, forged, expired or revoked.", "schema": {"type": "string"}}}
        if status == 429:
            response_doc["headers"] = {"Retry-After": {"description": "Seconds to wait before trying again.",
                                                       "schema": {"type": "integer", "minimum": 1}}}
        responses[str(status)] = response_doc
    out["responses"] = responses
    return out


API_TITLE = "YourMusic API"  # the document's info.title (also the developer pages' heading)


def build_openapi(operations: list[Operation]) -> dict[str, Any]:
    components: dict[str, Any] = dict(_COMMON_SCHEMAS)
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        for i, method in enumerate(op.methods):
            doc = _operation(op, components)
            if i:  # an alias method (PUT beside PATCH) needs its own unique operationId
                doc["operationId"] = f"{op.operation_id}{method.capitalize()}"
            paths.setdefault(op.path, {})[method.lower()] = doc
    _describe_fields(components)
    used_tags = {op.tag for op in operations}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": API_TITLE,
            "version": __version__,
            "description": "API for YourMusic streaming service. Provides endpoints for user management, "
            "music catalog access, and streaming. Every operation has a GraphQL twin (`x-graphql`) at /graphql.",
            # No open-source licence: all rights reserved (an SPDX reference of our own).
            "license": {"name": "Proprietary", "identifier": "LicenseRef-Proprietary"},
        },
        # Relative: the server that serves this document (`./dev serve`: http://127.0.0.1:8000).
        "servers": [{"url": "/", "description": "This server"}],
        "tags": [{"name": t, "description": TAGS[t]} for t in TAG_ORDER if t in used_tags],
        "paths": paths,
        "components": {
            "schemas": components,
            "parameters": {REQUEST_ID: _REQUEST_ID_PARAM},
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
