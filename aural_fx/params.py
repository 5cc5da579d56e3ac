"""Declaring effect parameters once: type, range, default, unit and description.

Parameters are pydantic models (``extra="forbid"``, validated on assignment). ``param()``
declares one field; ``describe()`` lists them for ``aural-fx describe``; ``validate()``
turns pydantic's errors into one-line messages that name the parameter.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from .errors import ParameterError, suggest

__all__ = ["Params", "param", "ParamInfo", "describe", "validate", "format_validation_error"]


class Params(BaseModel):
    """Base of every effect's parameter model. A boolean is not a number: ``ratio: yes``
    is refused (pydantic would take it as 1.0)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_booleans_for_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, bool) and info.field_name is not None:
            annotation = cls.model_fields[info.field_name].annotation
            if not _admits_bool(annotation):
                raise ValueError(f"got the boolean {str(value).lower()}, but this parameter is not a yes/no switch")
        return value


def _admits_bool(annotation: Any) -> bool:
    """Whether a field's type takes booleans (bool itself, Any, or a union with either)."""
    if annotation is bool or annotation is Any:
        return True
    return any(_admits_bool(arg) for arg in get_args(annotation))


def param(
    default: Any,
    *,
    description: str,
    ge: float | None = None,
    le: float | None = None,
    gt: float | None = None,
    lt: float | None = None,
    unit: str = "",
    file_or_name: bool = False,
) -> Any:
    """Declare a parameter field with its range, unit and one-line description.
    ``file_or_name``: a text value that names something shipped or a file; when it looks like
    a file (a folder part or an extension), presets resolve it against their own folder."""
    extra = {**({"unit": unit} if unit else {}), **({"file_or_name": True} if file_or_name else {})}
    return Field(
        default,
        ge=ge,
        le=le,
        gt=gt,
        lt=lt,
        description=description,
        json_schema_extra=extra or None,
    )


@dataclass(frozen=True)
class ParamInfo:
    """What ``aural-fx describe`` shows for one parameter."""

    name: str
    type: str
    default: Any
    minimum: float | None
    maximum: float | None
    unit: str
    description: str
    is_path: bool
    file_or_name: bool = False


def _type_name(annotation: Any) -> str:
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return "one of " + ", ".join(m.name for m in annotation)
    origin = get_origin(annotation)
    if origin is not None:
        args = [a for a in get_args(annotation) if a is not type(None)]
        if str(origin).endswith("Literal"):
            return "one of " + ", ".join(map(str, get_args(annotation)))
        inner = " | ".join(_type_name(a) for a in args)
        return inner + (" or null" if type(None) in get_args(annotation) else "")
    return getattr(annotation, "__name__", str(annotation))


def _is_path(annotation: Any) -> bool:
    if annotation is Path:
        return True
    return any(_is_path(a) for a in get_args(annotation))


def describe(model: type[BaseModel]) -> list[ParamInfo]:
    """List the parameters of a model in declaration order."""
    infos = []
    for name, field in model.model_fields.items():
        low = high = None
        for meta in field.metadata:
            low = getattr(meta, "ge", None) if getattr(meta, "ge", None) is not None else low
            low = getattr(meta, "gt", None) if getattr(meta, "gt", None) is not None else low
            high = getattr(meta, "le", None) if getattr(meta, "le", None) is not None else high
            high = getattr(meta, "lt", None) if getattr(meta, "lt", None) is not None else high
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        default = field.default
        if isinstance(default, enum.Enum):
            default = default.name
        infos.append(
            ParamInfo(
                name=name,
                type=_type_name(field.annotation),
                default=default,
                minimum=low,
                maximum=high,
                unit=str(extra.get("unit", "")),
                description=field.description or "",
                is_path=_is_path(field.annotation),
                file_or_name=bool(extra.get("file_or_name")),
            )
        )
    return infos


_BOUND_WORDS = {
    "greater_than_equal": ("ge", ">="),
    "greater_than": ("gt", ">"),
    "less_than_equal": ("le", "<="),
    "less_than": ("lt", "<"),
}


def _show(value: Any) -> str:
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        return repr(value)
    if isinstance(value, str):
        return repr(value)
    return str(value)


def format_validation_error(
    error: ValidationError, model: type[BaseModel], prefix: str = ""
) -> str:
    """One line for the first problem: ``<prefix><name>: <what is wrong>``."""
    first = error.errors()[0]
    name = ".".join(str(p) for p in first["loc"]) or "params"
    where = f"{prefix}{name}"
    kind = first["type"]
    given = first.get("input")
    ctx = first.get("ctx") or {}
    if kind == "extra_forbidden":
        hint = suggest(str(first["loc"][-1]), model.model_fields)
        valid = ", ".join(model.model_fields) or "none"
        return f"{where}: unknown parameter{hint or f' (valid: {valid})'}"
    if kind in _BOUND_WORDS:
        key, word = _BOUND_WORDS[kind]
        return f"{where}: must be {word} {_show(ctx[key])}, got {_show(given)}"
    if kind == "enum" or kind == "literal_error":
        expected = ctx.get("expected", "")
        return f"{where}: must be one of {expected}, got {_show(given)}"
    if kind == "missing":
        return f"{where}: required parameter is missing"
    if kind == "value_error" and "error" in ctx:  # a validator's own message says it all
        return f"{where}: {ctx['error']}"
    if kind == "finite_number":
        return f"{where}: must be a finite number, got {_show(given)}"
    message = first["msg"][0].lower() + first["msg"][1:]
    return f"{where}: {message}, got {_show(given)} ({type(given).__name__})"


def validate(model: type[BaseModel], values: dict[str, Any], prefix: str = "") -> BaseModel:
    """Build ``model(**values)``, raising ParameterError with a located one-line message."""
    try:
        return model(**values)
    except ValidationError as error:
        raise ParameterError(format_validation_error(error, model, prefix)) from None


def set_validated(params: BaseModel, name: str, value: Any, owner: str) -> None:
    """Assign one parameter, validating it; unknown names raise with a suggestion."""
    fields = type(params).model_fields
    if name not in fields:
        hint = suggest(name, fields)
        raise ParameterError(f"{owner}: unknown parameter '{name}'{hint}")
    try:
        setattr(params, name, value)
    except ValidationError as error:
        raise ParameterError(
            format_validation_error(error, type(params), prefix=f"{owner}.")
        ) from None
