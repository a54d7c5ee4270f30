"""Template test helpers."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette

from models.template import Template
from tests.factories import UserHandle

EMAIL_CAMPAIGN: dict[str, Any] = {
    "name": "Email Campaign",
    "description": "Marketing email template",
    "category": "marketing",
    "prompt": "Create an email campaign about {{product}} targeting {{audience}}...",
    "variables": [
        {
            "name": "product",
            "type": "text",
            "description": "Product name",
            "required": True,
        },
        {
            "name": "audience",
            "type": "select",
            "options": ["B2B", "B2C", "Enterprise"],
            "default": "B2B",
        },
    ],
    "is_public": False,
}


async def make_template(
    app: Starlette,
    author: UserHandle,
    *,
    name: str = "Stored Template",
    prompt: str = "Write about {{topic}}",
    variables: list[dict[str, Any]] | None = None,
    is_public: bool = False,
    team_id: str | None = None,
    category: str = "general",
    description: str = "",
) -> Template:
    """A stored template (declarations are trusted as given)."""
    template = Template(
        author_id=author.id,
        team_id=team_id,
        name=name,
        description=description,
        category=category,
        prompt=prompt,
        variables=variables
        if variables is not None
        else [{"name": "topic", "type": "text", "required": True}],
        is_public=is_public,
    )
    async with app.state.parts.db.session() as session:
        session.add(template)
        await session.commit()
    return template
