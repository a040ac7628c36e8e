"""Input validation with pydantic, reported in Laravel's 422 shape.

REST bodies and GraphQL inputs go through the same models (one place per rule); the messages read
like Laravel's so legacy clients see what they always saw.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any, TypeVar

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


def errors_from(exc: ValidationError) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        field = ".".join(loc) if loc else "body"
        out.setdefault(field, []).append(_message(err, loc[-1] if loc else "body"))
    return out


def parse(model: type[M], data: Any) -> M:
    """Validate `data` into `model`, raising the contract's 422 on any problem."""
    if not isinstance(data, Mapping):
        raise ValidationFailed({"body": ["The request body must be a JSON object."]})
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        raise ValidationFailed(errors_from(exc)) from None


def given(model: BaseModel) -> dict[str, Any]:
    """Only the fields the caller actually sent (partial updates)."""
    return {name: getattr(model, name) for name in model.model_fields_set}
