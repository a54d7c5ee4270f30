"""GraphQL for the signed-in user: profile and API keys."""
