"""Fan-out of domain events: the broadcast hub and the channel names."""
