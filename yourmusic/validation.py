"""Domain inputs (pydantic, named in the domain's words) and their 422s in Laravel's shape.

Each domain's input models live in its service, built from the annotated types here (`Name`,
`PastDate`, ...): one place per rule. A transport never validates by hand: it hands what the caller sent
to `parse` (or wraps it in `Submitted`, checked when the resolver reaches it), with `names`, the
transport's names for the fields whose name differs from the domain's, so a 422 names the field the
caller sent and its messages read like Laravel's, as legacy clients always saw them.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, GetCoreSchemaHandler,
                      StringConstraints, ValidationError)
from pydantic_core import CoreSchema, PydanticCustomError, PydanticKnownError
from pydantic_core import core_schema as cs

from yourmusic.errors import ValidationFailed

M = TypeVar("M", bound=BaseModel)

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _drop_null_defaults(schema: dict[str, Any], cls: type) -> None:
    """Partial-update fields default to "not sent", which is not a null the schema should admit."""
    for prop in schema.get("properties", {}).values():
        if "default" in prop and prop["default"] is None:
            del prop["default"]


# --------------------------------------------------------------------------- what every database can store
# PostgreSQL is the reference: it refuses a NUL character in text, an integer past 64 bits and a timestamp
# outside years 1..9999 (UTC) at the last moment (a 500), where SQLite often stores them. Every `Input`
# refuses them first, in every field at any depth, the same way on both databases (a 422 naming the field).

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise PydanticCustomError("string_nul", "must not contain a NUL character")
    return value


def _int64(value: int) -> int:
    if value > INT64_MAX:
        raise PydanticKnownError("less_than_equal", {"le": INT64_MAX})
    if value < INT64_MIN:
        raise PydanticKnownError("greater_than_equal", {"ge": INT64_MIN})
    return value


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise PydanticKnownError("finite_number")
    return value


def _storable_datetime(value: datetime) -> datetime:
    """A date-time whose UTC instant lies within years 1..9999 (a naive one is taken as UTC)."""
    if value.tzinfo is not None:
        try:
            value.astimezone(UTC)
        except OverflowError:
            raise PydanticCustomError("datetime_range", "must be a date and time between the years 1 and 9999 "
                                                        "in UTC") from None
    return value


def _storable_any(value: Any) -> Any:
    """An untyped value (JSON kept as is): no NUL in any of its strings, keys included."""
    if isinstance(value, str):
        _no_nul(value)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _storable_any(key)
            _storable_any(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _storable_any(item)
    elif isinstance(value, int) and not isinstance(value, bool):
        _int64(value)
    elif isinstance(value, float):
        _finite(value)
    return value


_STORABLE: dict[str, Callable[[Any], Any]] = {
    "str": _no_nul, "int": _int64, "float": _finite, "datetime": _storable_datetime, "any": _storable_any,
}
# Keys of a pydantic-core schema that hold inner schemas (a dict, a list of them, or a dict of them).
_INNER = ("schema", "items_schema", "keys_schema", "values_schema", "choices", "fields", "definitions", "steps",
          "lax_schema", "strict_schema", "json_schema", "python_schema", "extras_schema")


def storable(schema: CoreSchema) -> CoreSchema:
    """`schema` with every str, int, float, date-time and untyped value checked by `_STORABLE` after its own
    validation (in place, inner schemas first). JSON Schema and OpenAPI are unchanged: the checks are
    after-validators, which add no keywords."""

    def inner(item: Any) -> Any:
        if isinstance(item, dict) and isinstance(item.get("type"), str):
            return storable(item)  # type: ignore[arg-type]
        if isinstance(item, tuple) and item and isinstance(item[0], dict):  # a union choice with its label
            return (inner(item[0]), *item[1:])
        return item

    for key in _INNER:
        value = schema.get(key)
        if isinstance(value, list):
            schema[key] = [inner(v) for v in value]  # type: ignore[literal-required]
        elif isinstance(value, dict) and isinstance(value.get("type"), str):
            schema[key] = inner(value)  # type: ignore[literal-required]
        elif isinstance(value, dict):
            for name, item in value.items():
                value[name] = inner(item)
    check = _STORABLE.get(schema["type"])
    return cs.no_info_after_validator_function(check, schema) if check else schema


class Storable:
    """`Annotated[T, Storable]`: `T` checked by `storable` (what `Input` does for its fields), for a value
    validated alone (a path id, a credential)."""

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return storable(handler(source))


class Input(BaseModel):
    """Base of every input: unknown fields are ignored, no silent type coercion of strings, and nothing a
    database cannot store (`storable`: no NUL in text, integers within 64 bits, finite numbers, date-times
    within years 1..9999 in UTC), at any depth, whatever the field's own type says."""

    model_config = ConfigDict(
        extra="ignore", str_strip_whitespace=True, frozen=True, json_schema_extra=_drop_null_defaults
    )

    @classmethod
    def __get_pydantic_core_schema__(cls, source: type[BaseModel], handler: GetCoreSchemaHandler) -> CoreSchema:
        return storable(handler(source))


def _strict_date(value: Any) -> date:
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _DATE_RE.match(value):
        raise PydanticCustomError("date_format", "must be a valid date in the format Y-m-d")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError("date_format", "must be a valid date in the format Y-m-d") from None


def _in_the_past(value: date) -> date:
    if value >= date.today():
        raise PydanticCustomError("date_past", "must be a date before today")
    if value.year < 1900:
        raise PydanticCustomError("date_past", "must be a date after 1900-01-01")
    return value


def _utc_datetime(value: Any) -> datetime:
    """ISO 8601 with a timezone (`2025-11-01T09:37:15Z`, `...+02:00`) as UTC; a bare local time is ambiguous,
    an instant outside years 1..9999 in UTC cannot be stored."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            value = None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise PydanticCustomError("date_format", "must be a valid ISO 8601 date and time with a timezone")
    return _storable_datetime(value).astimezone(UTC)


SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$"

Name = Annotated[str, StringConstraints(min_length=1, max_length=255)]
# A tenant's or product's slug, as its column (64 characters) holds it: lowercase letters, digits, dashes.
Slug = Annotated[str, StringConstraints(max_length=64, pattern=SLUG_PATTERN)]
# An OAuth2 client id, as its column (64 characters) holds it.
ClientId = Annotated[str, StringConstraints(min_length=1, max_length=64)]
PastDate = Annotated[date, BeforeValidator(_strict_date), AfterValidator(_in_the_past)]
UtcDateTime = Annotated[datetime, BeforeValidator(_utc_datetime)]

_MESSAGES = {
    "missing": "The {f} field is required.",
    "string_type": "The {f} field must be a string.",
    "string_too_short": "The {f} field is required.",
    "string_too_long": "The {f} field must not be greater than {max_length} characters.",
    "int_type": "The {f} field must be an integer.",
    "int_parsing": "The {f} field must be an integer.",
    "bool_type": "The {f} field must be true or false.",
    "bool_parsing": "The {f} field must be true or false.",
    "greater_than_equal": "The {f} field must be at least {ge}.",
    "less_than_equal": "The {f} field must not be greater than {le}.",
    "value_error": "The {f} field must be a valid {what}.",
    "uuid_parsing": "The {f} field must be a valid UUID.",
    "uuid_type": "The {f} field must be a valid UUID.",
    "literal_error": "The selected {f} is invalid.",
    "enum": "The selected {f} is invalid.",
    "list_type": "The {f} field must be an array.",
    "too_long": "The {f} field must not have more than {max_length} items.",
    "model_type": "The {f} field must be an object.",
    "dict_type": "The {f} field must be an object.",
    "finite_number": "The {f} field must be a number.",
}


def _message(err: Mapping[str, Any], field: str) -> str:
    kind = err["type"]
    label = field.replace("_", " ")
    ctx = dict(err.get("ctx") or {})
    if kind in ("date_format", "date_past", "datetime_range", "string_nul"):
        return f"The {label} field {err['msg']}."
    if kind == "value_error":
        what = "email address" if "email" in field else "value"
        return _MESSAGES[kind].format(f=label, what=what)
    template = _MESSAGES.get(kind)
    if template is None:
        return f"The {label} field is invalid."
    try:
        return template.format(f=label, **ctx)
    except (KeyError, IndexError):
        return f"The {label} field is invalid."


NO_NAMES: Mapping[str, str] = {}


def errors_from(exc: ValidationError, names: Mapping[str, str] = NO_NAMES) -> dict[str, list[str]]:
    """Laravel's `{"field.path": ["message", ...]}` of a pydantic error; `names` renames top-level fields
    (domain name -> the caller's), messages included ("The playlist name field is required.")."""
    out: dict[str, list[str]] = {}
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        if loc:
            loc[0] = names.get(loc[0], loc[0])
        field = ".".join(loc) if loc else "body"
        out.setdefault(field, []).append(_message(err, loc[-1] if loc else "body"))
    return out


def parse(model: type[M], data: Any, names: Mapping[str, str] = NO_NAMES) -> M:
    """Validate `data` (a mapping keyed by `model`'s field names or aliases) into `model`, raising the
    contract's 422 on any problem; `names` maps the domain's field names to the caller's for the 422."""
    if not isinstance(data, Mapping):
        raise ValidationFailed({"body": ["The request body must be a JSON object."]})
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        raise ValidationFailed(errors_from(exc, names)) from None


@dataclass(frozen=True)
class Submitted(Generic[M]):
    """What a caller sent for the domain input `model`, validated when the resolver asks (`value()`).

    Resolvers check the caller and look rows up first, so a bad token (401), another's row (403/404)
    answer before anything about the body (422), as Laravel orders them. `names`: the transport's names of
    fields named otherwise in the domain, for the 422 (`{"name": "playlist_name"}`).
    """

    model: type[M]
    data: Any
    names: Mapping[str, str] = field(default_factory=dict)

    def value(self) -> M:
        """The validated domain input; ValidationFailed (422) naming the caller's fields."""
        return parse(self.model, self.data, self.names)

    def invalid(self, field_name: str, message: str) -> ValidationFailed:
        """A 422 about one domain field found wrong past validation (an unknown catalog id), under the
        caller's name for it."""
        alias = self.model.model_fields[field_name].alias if field_name in self.model.model_fields else None
        return ValidationFailed.field(self.names.get(field_name) or alias or field_name, message)


def parse_id(value: Any) -> uuid.UUID | None:
    """A path or argument id as a UUID; anything else (a NUL character, too long, not hex) can name no row:
    None, a 404 further down (not 422)."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None


NO_ROW = uuid.UUID(int=0)  # the nil UUID: no row has it (ids are uuid4)


def row_id(value: str | uuid.UUID) -> uuid.UUID:
    """A path or argument id as a UUID. A string that is no UUID names no row: it becomes NO_ROW, so the
    lookup answers the usual 404, after the caller was checked."""
    return parse_id(value) or NO_ROW


def given(model: BaseModel) -> dict[str, Any]:
    """Only the fields the caller actually sent (partial updates)."""
    return {name: getattr(model, name) for name in model.model_fields_set}
