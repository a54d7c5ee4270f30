"""Every template variable rule: declarations, values, and safe rendering."""

from __future__ import annotations

from typing import Any

import pytest

from resolvers.errors import ValidationFailed
from resolvers.template_variables import (
    parse_variables,
    render,
    resolve_values,
)


def declare(*variables: dict[str, Any], prompt: str = "") -> list[Any]:
    return parse_variables(list(variables), prompt=prompt)


def refusal(call: Any) -> dict[str, Any]:
    with pytest.raises(ValidationFailed) as caught:
        call()
    return caught.value.details


def test_types_are_text_select_number_boolean() -> None:
    details = refusal(lambda: declare({"name": "x", "type": "date"}))

    assert details["field"] == "variables[0].type"


def test_a_name_must_be_an_identifier() -> None:
    for bad in ("", "1abc", "a-b", "a b", "x" * 65, "__class__.x"):
        assert refusal(lambda bad=bad: declare({"name": bad}))["field"] == (
            "variables[0].name"
        )


def test_names_are_unique() -> None:
    details = refusal(lambda: declare({"name": "a"}, {"name": "a"}))

    assert details["field"] == "variables[1].name"


def test_a_select_needs_distinct_options_and_others_have_none() -> None:
    assert refusal(lambda: declare({"name": "a", "type": "select"}))["field"] == (
        "variables[0].options"
    )
    assert (
        refusal(
            lambda: declare({"name": "a", "type": "select", "options": ["x", "x"]})
        )["field"]
        == "variables[0].options"
    )
    assert (
        refusal(lambda: declare({"name": "a", "type": "text", "options": ["x"]}))[
            "field"
        ]
        == "variables[0].options"
    )


def test_a_default_must_fit_the_type() -> None:
    cases = [
        {"name": "a", "type": "select", "options": ["x"], "default": "y"},
        {"name": "a", "type": "number", "default": "3"},
        {"name": "a", "type": "number", "default": True},
        {"name": "a", "type": "boolean", "default": "yes"},
        {"name": "a", "type": "text", "default": 5},
    ]
    for case in cases:
        assert refusal(lambda case=case: declare(case))["field"] == (
            "variables[0].default"
        )


def test_required_must_be_a_boolean_and_unknown_keys_are_refused() -> None:
    assert refusal(lambda: declare({"name": "a", "required": "yes"}))["field"] == (
        "variables[0].required"
    )
    assert refusal(lambda: declare({"name": "a", "eval": "1"}))["field"] == (
        "variables[0].eval"
    )


def test_the_prompt_may_use_only_declared_variables() -> None:
    details = refusal(lambda: declare({"name": "a"}, prompt="{{a}} and {{b}}"))

    assert details["field"] == "prompt"
    assert "b" in details["reason"]


def test_a_missing_required_variable_is_named() -> None:
    variables = declare({"name": "product", "required": True})

    details = refusal(lambda: resolve_values(variables, {}))

    assert details == {"field": "variables.product", "reason": "is required"}


def test_an_empty_required_text_counts_as_missing() -> None:
    variables = declare({"name": "product", "required": True})

    assert refusal(lambda: resolve_values(variables, {"product": ""}))["field"] == (
        "variables.product"
    )


def test_a_required_variable_with_a_default_may_be_left_out() -> None:
    variables = declare(
        {
            "name": "tone",
            "type": "select",
            "options": ["a", "b"],
            "default": "b",
            "required": True,
        }
    )

    assert resolve_values(variables, {}) == {"tone": "b"}


def test_an_unknown_variable_is_named() -> None:
    variables = declare({"name": "product"})

    details = refusal(lambda: resolve_values(variables, {"prodcut": "x"}))

    assert details["field"] == "variables.prodcut"


def test_values_must_fit_their_types() -> None:
    variables = declare(
        {"name": "t", "type": "text"},
        {"name": "s", "type": "select", "options": ["B2B", "B2C"]},
        {"name": "n", "type": "number"},
        {"name": "b", "type": "boolean"},
    )
    bad = {"t": 1, "s": "b2b", "n": "12", "b": "true"}

    for name, value in bad.items():
        details = refusal(
            lambda name=name, value=value: resolve_values(variables, {name: value})
        )
        assert details["field"] == f"variables.{name}"
    assert refusal(lambda: resolve_values(variables, {"n": float("nan")}))
    assert refusal(lambda: resolve_values(variables, {"n": True}))


def test_rendering_substitutes_values_and_defaults() -> None:
    variables = declare(
        {"name": "product", "required": True},
        {
            "name": "audience",
            "type": "select",
            "options": ["B2B", "B2C"],
            "default": "B2B",
        },
        {"name": "count", "type": "number"},
        {"name": "urgent", "type": "boolean"},
        {"name": "note"},
        prompt="{{product}} for {{ audience }}: {{count}} {{urgent}} [{{note}}]",
    )

    values = resolve_values(
        variables, {"product": "Harvest", "count": 3.0, "urgent": False}
    )

    assert (
        render(
            "{{product}} for {{ audience }}: {{count}} {{urgent}} [{{note}}]", values
        )
        == "Harvest for B2B: 3 false []"
    )


def test_rendering_runs_no_code_and_expands_nothing_twice() -> None:
    prompt = "A {{a}} B {{b}}"
    values = {
        "a": "{{b}}",
        "b": "{% for x in range(9) %}{{ 7*7 }}{0.__class__}%(x)s${x}",
    }

    rendered = render(prompt, values)

    assert rendered == "A {{b}} B " + values["b"]


def test_placeholders_with_expressions_cannot_be_declared() -> None:
    for prompt in ("{{ 7*7 }}", "{{ a.__class__ }}", "{{ a|upper }}", "{{a[0]}}"):
        assert (
            refusal(lambda prompt=prompt: declare({"name": "a"}, prompt=prompt))[
                "field"
            ]
            == "prompt"
        )
