"""Team types: teams, members, settings, usage and invitations."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from models.team import Invitation as InvitationRow
from resolvers import teams
from resolvers.invitations import InvitationView
from schema.pagination import Pagination


@strawberry.enum(description="A member's role in a team, from most to least power.")
class TeamRole(Enum):
    owner = "owner"
    admin = "admin"
    editor = "editor"
    viewer = "viewer"


@strawberry.enum(description="A role an invitation or a role change may grant.")
class TeamAssignableRole(Enum):
    admin = "admin"
    editor = "editor"
    viewer = "viewer"


@strawberry.type(description="The owner of a team, as its members see them.")
class TeamOwner:
    id: strawberry.ID = strawberry.field(description="The owner's user id.")
    name: str = strawberry.field(description="The owner's display name.")
    avatar: str | None = strawberry.field(description="URL of the owner's avatar.")

    @classmethod
    def of(cls, person: teams.PersonSummary) -> TeamOwner:
        return cls(id=strawberry.ID(person.id), name=person.name, avatar=person.avatar)


@strawberry.type(description="A member of a team and their role in it.")
class TeamMember:
    id: strawberry.ID = strawberry.field(description="The member's user id.")
    name: str = strawberry.field(description="The member's display name.")
    email: str = strawberry.field(description="The member's email address.")
    avatar: str | None = strawberry.field(description="URL of the member's avatar.")
    role: TeamRole = strawberry.field(description="The member's role in the team.")
    joined_at: datetime = strawberry.field(description="When they joined the team.")

    @classmethod
    def of(cls, member: teams.MemberView) -> TeamMember:
        return cls(
            id=strawberry.ID(member.id),
            name=member.name,
            email=member.email,
            avatar=member.avatar,
            role=TeamRole(member.role),
            joined_at=member.joined_at,
        )


@strawberry.type(description="Settings that change how the team works.")
class TeamSettings:
    default_model: str | None = strawberry.field(
        description="Model used for the team's template uses that name none; "
        "null: the server's default."
    )
    shared_templates: bool = strawberry.field(
        description="True: every member sees the team's templates. False: a "
        "team template is seen only by its author and the team's admins and owner."
    )
    approval_required: bool = strawberry.field(
        description="True: generations that editors create in the team start "
        "pending, seen only by their author and the admins and owner until an "
        "admin approves them (generationApprove)."
    )

    @classmethod
    def of(cls, settings: teams.TeamSettings) -> TeamSettings:
        return cls(
            default_model=settings.default_model,
            shared_templates=settings.shared_templates,
            approval_required=settings.approval_required,
        )


@strawberry.type(description="The team's usage in the current calendar month (UTC).")
class TeamUsage:
    total_generations: int = strawberry.field(
        description="Generations made in the team this month (usage counters)."
    )
    tokens_used: int = strawberry.field(
        description="Tokens those generations used (usage counters)."
    )
    active_members: int = strawberry.field(
        description="Current members with at least one generation in the team "
        "this month."
    )
    period_start: datetime = strawberry.field(description="Start of the month.")
    period_end: datetime = strawberry.field(description="Start of the next month.")

    @classmethod
    def of(cls, usage: teams.TeamUsage) -> TeamUsage:
        return cls(
            total_generations=usage.total_generations,
            tokens_used=usage.tokens_used,
            active_members=usage.active_members,
            period_start=usage.period_start,
            period_end=usage.period_end,
        )


@strawberry.type(description="One of the caller's teams, as listed.")
class TeamSummary:
    id: strawberry.ID = strawberry.field(description="Team id (team_...).")
    name: str = strawberry.field(description="The team's name.")
    description: str = strawberry.field(description="What the team is for.")
    role: TeamRole = strawberry.field(description="The caller's role in the team.")
    members_count: int = strawberry.field(description="How many members it has.")
    owner: TeamOwner = strawberry.field(description="The team's owner.")
    created_at: datetime = strawberry.field(description="When it was created.")

    @classmethod
    def of(cls, item: teams.TeamListItem) -> TeamSummary:
        return cls(
            id=strawberry.ID(item.team.id),
            name=item.team.name,
            description=item.team.description,
            role=TeamRole(item.role),
            members_count=item.members_count,
            owner=TeamOwner.of(item.owner),
            created_at=item.team.created_at,
        )


@strawberry.type(description="A page of the caller's teams.")
class TeamList:
    teams: list[TeamSummary] = strawberry.field(description="The teams.")
    pagination: Pagination = strawberry.field(description="Where this page sits.")


@strawberry.type(description="A team, as seen by one of its members.")
class Team:
    id: strawberry.ID = strawberry.field(description="Team id (team_...).")
    name: str = strawberry.field(description="The team's name.")
    description: str = strawberry.field(description="What the team is for.")
    owner_id: strawberry.ID = strawberry.field(description="The owner's user id.")
    role: TeamRole = strawberry.field(description="The caller's role in the team.")
    invite_code: str | None = strawberry.field(
        description="Code anyone can join with (as viewer); shown to admins "
        "and the owner only, null for others."
    )
    members: list[TeamMember] = strawberry.field(
        description="Every member, in the order they joined."
    )
    members_count: int = strawberry.field(description="How many members it has.")
    usage: TeamUsage = strawberry.field(description="This month's usage.")
    settings: TeamSettings = strawberry.field(description="The team's settings.")
    created_at: datetime = strawberry.field(description="When it was created.")
    updated_at: datetime = strawberry.field(description="When it last changed.")

    @classmethod
    def of(cls, detail: teams.TeamDetail) -> Team:
        team = detail.team
        return cls(
            id=strawberry.ID(team.id),
            name=team.name,
            description=team.description,
            owner_id=strawberry.ID(team.owner_id),
            role=TeamRole(detail.role),
            invite_code=detail.invite_code,
            members=[TeamMember.of(m) for m in detail.members],
            members_count=len(detail.members),
            usage=TeamUsage.of(detail.usage),
            settings=TeamSettings.of(teams.team_settings(team)),
            created_at=team.created_at,
            updated_at=team.updated_at,
        )


@strawberry.type(description="An invitation to join a team.")
class Invitation:
    id: strawberry.ID = strawberry.field(description="Invitation id (ivt_...).")
    team_id: strawberry.ID = strawberry.field(description="The team it is for.")
    email: str = strawberry.field(description="The address it was sent to.")
    role: TeamRole = strawberry.field(description="The role it grants.")
    expires_at: datetime = strawberry.field(
        description="When the link stops working (seven days after sending)."
    )
    invite_link: str | None = strawberry.field(
        description="The single-use link, on HARVEST_PUBLIC_URL; shown only in "
        "the answer to teamInvite."
    )
    created_at: datetime = strawberry.field(description="When it was sent.")

    @classmethod
    def of(cls, row: InvitationRow, link: str | None = None) -> Invitation:
        return cls(
            id=strawberry.ID(row.id),
            team_id=strawberry.ID(row.team_id),
            email=row.email,
            role=TeamRole(row.role),
            expires_at=row.expires_at,
            invite_link=link,
            created_at=row.created_at,
        )

    @classmethod
    def sent(cls, view: InvitationView) -> Invitation:
        return cls.of(view.invitation, view.invite_link)


@strawberry.type(description="The answer to an action that returns no object.")
class TeamOutcome:
    success: bool = strawberry.field(description="True when it was done.")
    message: str = strawberry.field(description="What was done.")

    @classmethod
    def of(cls, outcome: teams.Outcome) -> TeamOutcome:
        return cls(success=outcome.success, message=outcome.message)


@strawberry.type(description="The team that was created or changed.")
class TeamPayload:
    team: Team = strawberry.field(description="The team.")


@strawberry.type(description="The invitation that was sent.")
class TeamInvitePayload:
    invitation: Invitation = strawberry.field(
        description="The invitation, with its link."
    )


@strawberry.type(description="The member whose role changed.")
class TeamMemberPayload:
    member: TeamMember = strawberry.field(description="The member.")
