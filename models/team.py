"""Teams, their members and invitations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import created_field, fk, id_field, json_field, updated_field


class Team(SQLModel, table=True):
    __tablename__ = "teams"

    id: str = id_field("team")
    name: str = Field(max_length=200)
    description: str = Field(default="", max_length=2000)
    owner_id: str = fk("users.id")
    invite_code: str = Field(max_length=32, unique=True, index=True)
    settings: dict[str, Any] = json_field({})
    created_at: datetime = created_field()
    updated_at: datetime = updated_field()


class Membership(SQLModel, table=True):
    __tablename__ = "memberships"
    __table_args__ = (sa.UniqueConstraint("team_id", "user_id"),)

    id: str = id_field("mem")
    team_id: str = fk("teams.id")
    user_id: str = fk("users.id")
    role: str = Field(max_length=16)
    joined_at: datetime = created_field()


class Invitation(SQLModel, table=True):
    """An invitation to a team; ``ivt_`` because the spec also uses ``inv_`` for
    invoices."""

    __tablename__ = "invitations"

    id: str = id_field("ivt")
    team_id: str = fk("teams.id")
    email: str = Field(max_length=320, index=True)
    role: str = Field(max_length=16)
    message: str = Field(default="", max_length=2000)
    token_hash: str = Field(max_length=128, unique=True, index=True)
    invited_by: str = fk("users.id")
    expires_at: datetime
    accepted_at: datetime | None = None
    declined_at: datetime | None = None
    created_at: datetime = created_field()
