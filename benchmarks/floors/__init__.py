"""Floors: small bare programs doing the least that the same work needs, each
started as a process of its own on the server core (``--port P``)."""
