"""Template variables: their declarations, the values a use supplies, and the
rendering of a prompt.

Rendering is plain text substitution of ``{{name}}`` placeholders in one
pass: no expression is evaluated, no attribute or index is looked up, and a
value that itself contains ``{{...}}`` is inserted as it is, never expanded.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from resolvers.errors import ValidationFailed

VARIABLE_TYPES = ("text", "select", "number", "boolean")
MAX_VARIABLES = 50
MAX_OPTIONS = 100
MAX_OPTION_CHARS = 200
MAX_DESCRIPTION_CHARS = 500
MAX_TEXT_VALUE_CHARS = 5_000
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")


@dataclass(frozen=True)
class Variable:
    """One declared variable of a template."""

    name: str
    type: str
    description: str = ""
    required: bool = False
    options: tuple[str, ...] = ()
    default: Any = None

    def as_dict(self) -> dict[str, Any]:
        """The declaration as stored in the template's JSON column."""
        stored: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "description": self.description,
            "required": self.required,
        }
        if self.options:
            stored["options"] = list(self.options)
        if self.default is not None:
            stored["default"] = self.default
        return stored


def _fail(field: str, reason: str) -> ValidationFailed:
    return ValidationFailed(field=field, reason=reason)


def check_value(variable: Variable, value: Any, *, field: str) -> Any:
    """``value`` if it fits the variable's type, else a VALIDATION_ERROR."""
    if variable.type == "text":
        if not isinstance(value, str):
            raise _fail(field, "must be a string")
        if len(value) > MAX_TEXT_VALUE_CHARS:
            raise _fail(field, f"at most {MAX_TEXT_VALUE_CHARS} characters")
        return value
    if variable.type == "select":
        if not isinstance(value, str) or value not in variable.options:
            raise _fail(field, "must be one of: " + ", ".join(variable.options))
        return value
    if variable.type == "number":
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise _fail(field, "must be a number")
        return value
    if not isinstance(value, bool):
        raise _fail(field, "must be true or false")
    return value


def _declaration(raw: Any, index: int) -> Variable:
    where = f"variables[{index}]"
    if not isinstance(raw, Mapping):
        raise _fail(where, "must be an object")
    unknown = set(raw) - {
        "name",
        "type",
        "description",
        "required",
        "options",
        "default",
    }
    if unknown:
        raise _fail(f"{where}.{sorted(unknown)[0]}", "unknown key")
    name = raw.get("name")
    if not isinstance(name, str) or not NAME.match(name):
        raise _fail(
            f"{where}.name",
            "must start with a letter or '_' and use letters, digits and '_' "
            "(at most 64)",
        )
    kind = raw.get("type", "text")
    if kind not in VARIABLE_TYPES:
        raise _fail(f"{where}.type", "must be one of " + ", ".join(VARIABLE_TYPES))
    description = raw.get("description") or ""
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION_CHARS:
        raise _fail(
            f"{where}.description", f"a string of at most {MAX_DESCRIPTION_CHARS}"
        )
    required = raw.get("required", False)
    if not isinstance(required, bool):
        raise _fail(f"{where}.required", "must be true or false")
    options = _options(raw.get("options"), kind=kind, field=f"{where}.options")
    variable = Variable(
        name=name,
        type=kind,
        description=description,
        required=required,
        options=options,
    )
    default = raw.get("default")
    if default is not None:
        default = check_value(variable, default, field=f"{where}.default")
    return Variable(
        name=name,
        type=kind,
        description=description,
        required=required,
        options=options,
        default=default,
    )


def _options(raw: Any, *, kind: str, field: str) -> tuple[str, ...]:
    if kind != "select":
        if raw:
            raise _fail(field, "only a select variable has options")
        return ()
    if not isinstance(raw, list) or not raw:
        raise _fail(field, "a select variable needs a non-empty list of options")
    if len(raw) > MAX_OPTIONS:
        raise _fail(field, f"at most {MAX_OPTIONS} options")
    if not all(isinstance(o, str) and 0 < len(o) <= MAX_OPTION_CHARS for o in raw):
        raise _fail(field, f"each option is a string of 1 to {MAX_OPTION_CHARS}")
    if len(set(raw)) != len(raw):
        raise _fail(field, "options must be distinct")
    return tuple(raw)


def placeholders(prompt: str) -> list[str]:
    """The names used in ``{{...}}`` placeholders, in order of appearance."""
    return [match.group(1) for match in PLACEHOLDER.finditer(prompt)]


def parse_variables(raw: Sequence[Any] | None, *, prompt: str) -> list[Variable]:
    """Check declarations and that the prompt uses only declared names."""
    raw = list(raw or [])
    if len(raw) > MAX_VARIABLES:
        raise _fail("variables", f"at most {MAX_VARIABLES} variables")
    variables = [_declaration(item, index) for index, item in enumerate(raw)]
    seen: set[str] = set()
    for index, variable in enumerate(variables):
        if variable.name in seen:
            raise _fail(f"variables[{index}].name", f"'{variable.name}' is repeated")
        seen.add(variable.name)
    for name in placeholders(prompt):
        if name not in seen:
            raise _fail(
                "prompt",
                f"the placeholder '{{{{{name}}}}}' names no declared variable",
            )
    return variables


def stored_variables(raw: Sequence[Mapping[str, Any]]) -> list[Variable]:
    """Declarations read back from a stored template (already checked)."""
    return [
        Variable(
            name=item["name"],
            type=item.get("type", "text"),
            description=item.get("description", ""),
            required=bool(item.get("required", False)),
            options=tuple(item.get("options") or ()),
            default=item.get("default"),
        )
        for item in raw
    ]


def resolve_values(
    variables: Sequence[Variable], values: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The value of every variable for one use: given, else default.

    An unknown name, a missing required variable, or a value of the wrong
    type is a VALIDATION_ERROR naming ``variables.<name>``.
    """
    values = dict(values or {})
    declared = {variable.name: variable for variable in variables}
    for name in values:
        if name not in declared:
            raise _fail(
                f"variables.{name}",
                "unknown variable; this template declares "
                + (", ".join(declared) or "none"),
            )
    resolved: dict[str, Any] = {}
    for variable in variables:
        field = f"variables.{variable.name}"
        value = values.get(variable.name)
        if value is None:
            value = variable.default
        if value is None or (variable.required and value == ""):
            if variable.required:
                raise _fail(field, "is required")
            continue
        resolved[variable.name] = check_value(variable, value, field=field)
    return resolved


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def render(prompt: str, values: Mapping[str, Any]) -> str:
    """The prompt with each ``{{name}}`` replaced by its value's text; an
    optional variable with no value becomes empty."""
    return PLACEHOLDER.sub(lambda m: _as_text(values.get(m.group(1), "")), prompt)
