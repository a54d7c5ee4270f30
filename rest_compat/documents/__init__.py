"""GraphQL documents the REST table executes, one module per domain.

Aliases give each field the spec's JSON name, so the data of a query is the
spec's response body as it stands (a mutation's payload is unwrapped).
"""
