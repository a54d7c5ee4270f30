"""Prompt templates and their ratings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import (
    created_field,
    fk,
    id_field,
    json_field,
    text_field,
    updated_field,
)


class Template(SQLModel, table=True):
    __tablename__ = "templates"
    __table_args__ = (
        sa.Index("ix_templates_public_category", "is_public", "category"),
    )

    id: str = id_field("tpl")
    author_id: str = fk("users.id")
    team_id: str | None = fk("teams.id", nullable=True, ondelete="SET NULL")
    name: str = Field(max_length=200)
    description: str = Field(default="", max_length=2000)
    category: str = Field(default="general", max_length=64, index=True)
    format: str = Field(default="blog", max_length=32)
    prompt: str = text_field()
    variables: list[dict[str, Any]] = json_field([])
    is_public: bool = False
    usage_count: int = 0
    rating_sum: int = 0
    rating_count: int = 0
    created_at: datetime = created_field()
    updated_at: datetime = updated_field()


class TemplateRating(SQLModel, table=True):
    __tablename__ = "template_ratings"
    __table_args__ = (sa.UniqueConstraint("template_id", "user_id"),)

    id: str = id_field("trt")
    template_id: str = fk("templates.id")
    user_id: str = fk("users.id")
    rating: int
    created_at: datetime = created_field()
    updated_at: datetime = updated_field()
