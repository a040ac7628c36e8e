"""Domain inputs (pydantic, named in the domain's words) and their 422s in Laravel's shape.

Each domain's input models live in its service, built from the annotated types here (`Name`,
`PastDate`, ...): one place per rule. A transport never validates by hand: it hands what the caller sent
to `parse` (or wraps it in `Submitted`, checked when the resolver reaches it), with `names`, the
transport's names for the fields whose name differs from the domain's, so a 422 names the field the
caller sent and its messages read like Laravel's, as legacy clients always saw them.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, StringConstraints, ValidationError
from pydantic_core import PydanticCustomError

from yourmusic.errors import ValidationFailed

M = TypeVar("M", bound=BaseModel)

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _drop_null_defaults(schema: dict[str, Any], cls: type) -> None:
    """Partial-update fields default to "not sent", which is not a null the schema should admit."""
    for prop in schema.get("properties", {}).values():
        if "default" in prop and prop["default"] is None:
            del prop["default"]


class Input(BaseModel):
    """Base of every input: unknown fields are ignored, no silent type coercion of strings."""

    model_config = ConfigDict(
        extra="ignore", str_strip_whitespace=True, frozen=True, json_schema_extra=_drop_null_defaults
    )


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


Name = Annotated[str, StringConstraints(min_length=1, max_length=255)]
PastDate = Annotated[date, BeforeValidator(_strict_date), AfterValidator(_in_the_past)]

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
}


def _message(err: Mapping[str, Any], field: str) -> str:
    kind = err["type"]
    label = field.replace("_", " ")
    ctx = dict(err.get("ctx") or {})
    if kind in ("date_format", "date_past"):
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


def row_id(value: str | uuid.UUID) -> uuid.UUID:
    """A path or argument id as a UUID. A string that is no UUID names no row: it becomes the nil UUID,
    which no row has (ids are uuid4), so the lookup answers the usual 404, after the caller was checked."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(value)
    except (ValueError, TypeError, AttributeError):
        return uuid.UUID(int=0)


def given(model: BaseModel) -> dict[str, Any]:
    """Only the fields the caller actually sent (partial updates)."""
    return {name: getattr(model, name) for name in model.model_fields_set}
