"""Channel names: the only place that spells them."""

from __future__ import annotations


def generation(generation_id: str) -> str:
    """Every event of one generation (chunks, progress, completion, error)."""
    return f"generation:{generation_id}"


def user_generations(user_id: str) -> str:
    """Lifecycle events of a user's generations."""
    return f"user:{user_id}:generations"


def team_generations(team_id: str) -> str:
    """Lifecycle events of a team's generations."""
    return f"team:{team_id}:generations"


def notifications(user_id: str) -> str:
    """A user's notifications."""
    return f"user:{user_id}:notifications"


def generation_control(generation_id: str) -> str:
    """Control messages for a generation's runner (cancellation)."""
    return f"generation:{generation_id}:control"


_GENERATION_PREFIX = "generation:"


def generation_id_of(channel: str) -> str | None:
    """The generation whose event channel is ``channel``, or None for others."""
    if not channel.startswith(_GENERATION_PREFIX):
        return None
    rest = channel[len(_GENERATION_PREFIX) :]
    return rest if rest and ":" not in rest else None
