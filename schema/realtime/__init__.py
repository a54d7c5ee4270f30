"""GraphQL subscriptions: generation streams, generation events, notifications."""
