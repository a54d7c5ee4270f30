"""GraphQL for signing up, signing in and sessions."""
