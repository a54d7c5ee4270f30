"""Validation results kept per parsed document.

The parser cache hands back the same document object for the same text, so
a warm operation is recognised by that object's identity: it is neither
validated again nor hashed (a syntax tree hashes node by node, which on our
documents costs more than the rest of a warm operation's preparation).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from strawberry.extensions import SchemaExtension

MAX_DOCUMENTS = 512
# id(document) -> (document, schema, rules, errors); holding the document keeps
# its id from being reused while the entry lives.
_results: OrderedDict[int, tuple[Any, Any, tuple[Any, ...], list[Any]]] = OrderedDict()


def validated(schema: Any, document: Any, rules: tuple[Any, ...]) -> list[Any]:
    """The validation errors of ``document`` (none: it is valid)."""
    found = _results.get(id(document))
    if (
        found is not None
        and found[0] is document
        and found[1] is schema
        and found[2] == rules
    ):
        _results.move_to_end(id(document))
        return found[3]
    from strawberry.schema.schema import validate_document  # a cycle otherwise

    errors = validate_document(schema, document, rules)
    _results[id(document)] = (document, schema, rules, errors)
    if len(_results) > MAX_DOCUMENTS:
        _results.popitem(last=False)
    return errors


def cached_documents() -> int:
    return len(_results)


class DocumentValidationCache(SchemaExtension):
    """Validates each parsed document once per set of rules (bounded LRU)."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        context.pre_execution_errors = validated(
            context.schema._schema,
            context.graphql_document,
            tuple(context.validation_rules),
        )
        yield
