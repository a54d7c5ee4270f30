"""Domain operations, one module per domain; every business rule lives here."""
