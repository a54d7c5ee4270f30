"""A Schemathesis check for ``/graphql``, loaded with ``SCHEMATHESIS_HOOKS``.

Schemathesis counts any GraphQL error raised in a resolver as a server error;
ours answer domain errors (NOT_FOUND, VALIDATION_ERROR...) that way on purpose.
What must never happen is a 5xx, a body that is not JSON, or an error without
one of the spec's codes or with SERVER_ERROR (an exception that escaped).
"""

from __future__ import annotations

from typing import Any

import schemathesis

from resolvers.errors import ErrorCode

SPEC_CODES = {code.value for code in ErrorCode} - {ErrorCode.SERVER_ERROR.value}


@schemathesis.check
def graphql_answers_with_domain_errors_only(ctx: Any, response: Any, case: Any) -> None:
    """No server error: every GraphQL error carries a spec code other than
    SERVER_ERROR, and the HTTP status is below 500."""
    if response.status_code >= 500:
        raise AssertionError(f"HTTP {response.status_code}: {response.text[:300]}")
    payload = response.json()
    errors = payload.get("errors") or [] if isinstance(payload, dict) else []
    for error in errors:
        code = (error.get("extensions") or {}).get("code")
        if code not in SPEC_CODES:
            raise AssertionError(f"GraphQL error with code {code!r}: {error}")
