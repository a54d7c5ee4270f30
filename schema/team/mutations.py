"""TeamMutation: create and change teams, invite, manage members."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from resolvers import invitations, teams
from schema.context import Context, call
from schema.team.types import Invitation as InvitationType
from schema.team.types import (
    Team,
    TeamAssignableRole,
    TeamInvitePayload,
    TeamMember,
    TeamMemberPayload,
    TeamOutcome,
    TeamPayload,
)

TeamId = Annotated[strawberry.ID, strawberry.argument(description="Team id.")]
UserId = Annotated[
    strawberry.ID, strawberry.argument(description="The member's user id.")
]
InviteToken = Annotated[
    str, strawberry.argument(description="The token at the end of the invite link.")
]


@strawberry.input(description="Team settings; fields left out keep their value.")
class TeamSettingsInput:
    default_model: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="Model for the team's template uses that name none; null "
        "resets it to the server's default.",
    )
    shared_templates: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description="Whether every member sees the team's templates.",
    )
    approval_required: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description="Whether editors' generations in the team wait for approval.",
    )

    def changes(self) -> dict[str, Any]:
        return {
            key: value
            for key, value in vars(self).items()
            if value is not strawberry.UNSET
        }


@strawberry.input(description="A new team.")
class TeamCreateInput:
    name: str = strawberry.field(description="The team's name (1 to 200 characters).")
    description: str = strawberry.field(default="", description="What the team is for.")
    settings: TeamSettingsInput | None = strawberry.field(
        default=None,
        description="Settings; defaults: no default model, "
        "shared templates, no approval.",
    )


@strawberry.input(description="Changes to a team; fields left out keep their value.")
class TeamUpdateInput:
    name: str | None = strawberry.field(default=None, description="New name.")
    description: str | None = strawberry.field(
        default=None, description="New description."
    )
    settings: TeamSettingsInput | None = strawberry.field(
        default=None, description="Settings to change."
    )
    regenerate_invite_code: bool = strawberry.field(
        default=False,
        description="True: issue a new invite code; the old one stops working.",
    )


@strawberry.input(description="Whom to invite, and as what.")
class TeamInviteInput:
    email: str = strawberry.field(description="The address to send the link to.")
    role: TeamAssignableRole = strawberry.field(
        default=TeamAssignableRole.editor, description="The role it grants."
    )
    message: str = strawberry.field(
        default="", description="A note included in the mail."
    )


async def _team(info: Info[Context, Any], team_id: str) -> Team:
    return Team.of(await call(info, teams.get_team, team_id=team_id))


@strawberry.type
class TeamMutation:
    @strawberry.mutation(
        description="Create a team owned by the caller, with a unique invite code."
    )
    async def team_create(
        self,
        info: Info[Context, Any],
        input: Annotated[
            TeamCreateInput, strawberry.argument(description="The new team.")
        ],
    ) -> TeamPayload:
        team = await call(
            info,
            teams.create_team,
            name=input.name,
            description=input.description,
            settings=input.settings.changes() if input.settings else None,
        )
        return TeamPayload(team=await _team(info, team.id))

    @strawberry.mutation(
        description="Change a team's name, description or settings (admins, owner)."
    )
    async def team_update(
        self,
        info: Info[Context, Any],
        id: TeamId,
        input: Annotated[
            TeamUpdateInput, strawberry.argument(description="What to change.")
        ],
    ) -> TeamPayload:
        await call(
            info,
            teams.update_team,
            team_id=str(id),
            name=input.name,
            description=input.description,
            settings=input.settings.changes() if input.settings else None,
            regenerate_invite_code=input.regenerate_invite_code,
        )
        return TeamPayload(team=await _team(info, str(id)))

    @strawberry.mutation(
        description="Delete a team with its memberships and invitations (owner)."
    )
    async def team_delete(self, info: Info[Context, Any], id: TeamId) -> TeamOutcome:
        return TeamOutcome.of(await call(info, teams.delete_team, team_id=str(id)))

    @strawberry.mutation(
        description="Invite someone by email (admins, owner); the mail carries a "
        "single-use link valid for seven days."
    )
    async def team_invite(
        self,
        info: Info[Context, Any],
        id: TeamId,
        input: Annotated[
            TeamInviteInput, strawberry.argument(description="Whom to invite.")
        ],
    ) -> TeamInvitePayload:
        view = await call(
            info,
            invitations.invite_member,
            team_id=str(id),
            email=input.email,
            role=input.role.value,
            message=input.message,
        )
        return TeamInvitePayload(invitation=InvitationType.sent(view))

    @strawberry.mutation(
        description="Remove a member (admins remove editors and viewers, the "
        "owner anyone); the owner cannot be removed."
    )
    async def team_member_remove(
        self, info: Info[Context, Any], id: TeamId, user_id: UserId
    ) -> TeamOutcome:
        return TeamOutcome.of(
            await call(info, teams.remove_member, team_id=str(id), user_id=str(user_id))
        )

    @strawberry.mutation(
        description="Give a member another role; the owner's role changes only "
        "by teamOwnershipTransfer."
    )
    async def team_member_role_update(
        self,
        info: Info[Context, Any],
        id: TeamId,
        user_id: UserId,
        role: Annotated[
            TeamAssignableRole, strawberry.argument(description="The new role.")
        ],
    ) -> TeamMemberPayload:
        member = await call(
            info,
            teams.change_member_role,
            team_id=str(id),
            user_id=str(user_id),
            role=role.value,
        )
        return TeamMemberPayload(member=TeamMember.of(member))

    @strawberry.mutation(description="Leave a team (not its owner).")
    async def team_leave(self, info: Info[Context, Any], id: TeamId) -> TeamOutcome:
        return TeamOutcome.of(await call(info, teams.leave_team, team_id=str(id)))

    @strawberry.mutation(description="Join a team with its invite code, as viewer.")
    async def team_join(
        self,
        info: Info[Context, Any],
        invite_code: Annotated[
            str, strawberry.argument(description="The team's invite code.")
        ],
    ) -> TeamPayload:
        team = await call(info, invitations.join_team_by_code, invite_code=invite_code)
        return TeamPayload(team=await _team(info, team.id))

    @strawberry.mutation(
        description="Make another member the owner; the caller becomes an admin."
    )
    async def team_ownership_transfer(
        self, info: Info[Context, Any], id: TeamId, user_id: UserId
    ) -> TeamPayload:
        await call(
            info, teams.transfer_ownership, team_id=str(id), user_id=str(user_id)
        )
        return TeamPayload(team=await _team(info, str(id)))

    @strawberry.mutation(
        description="Accept an invitation sent to the caller's address: join "
        "its team with its role."
    )
    async def invitation_accept(
        self, info: Info[Context, Any], token: InviteToken
    ) -> TeamPayload:
        team = await call(info, invitations.accept_invitation, token=token)
        return TeamPayload(team=await _team(info, team.id))

    @strawberry.mutation(description="Decline an invitation sent to the caller.")
    async def invitation_decline(
        self, info: Info[Context, Any], token: InviteToken
    ) -> TeamOutcome:
        return TeamOutcome.of(
            await call(info, invitations.decline_invitation, token=token)
        )
