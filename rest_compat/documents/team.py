"""GraphQL documents behind the /v1 team and invitation routes."""

from __future__ import annotations

SETTINGS = """
settings {
  default_model: defaultModel
  shared_templates: sharedTemplates
  approval_required: approvalRequired
}
"""

TEAM_DETAIL = f"""
id name description
members {{ id name email role joined_at: joinedAt }}
usage {{
  total_generations: totalGenerations
  tokens_used: tokensUsed
  active_members: activeMembers
}}
{SETTINGS}
"""

TEAM_LIST = """
query Teams($page: Int, $limit: Int, $sort: String, $order: String) {
  list: teams(page: $page, limit: $limit, sort: $sort, order: $order) {
    teams {
      id name description role
      members_count: membersCount
      owner { id name avatar }
      created_at: createdAt
    }
    pagination {
      page limit
      total_items: totalItems
      total_pages: totalPages
      has_next: hasNext
      has_previous: hasPrevious
    }
  }
}
"""

TEAM_CREATE = f"""
mutation TeamCreate($input: TeamCreateInput!) {{
  teamCreate(input: $input) {{
    team {{
      id name description
      invite_code: inviteCode
      owner_id: ownerId
      {SETTINGS}
      created_at: createdAt
    }}
  }}
}}
"""

TEAM_GET = f"""
query Team($id: ID!) {{
  team(id: $id) {{ {TEAM_DETAIL} }}
}}
"""

TEAM_UPDATE = f"""
mutation TeamUpdate($id: ID!, $input: TeamUpdateInput!) {{
  teamUpdate(id: $id, input: $input) {{ team {{ {TEAM_DETAIL} }} }}
}}
"""

TEAM_DELETE = """
mutation TeamDelete($id: ID!) {
  teamDelete(id: $id) { success message }
}
"""

TEAM_INVITE = """
mutation TeamInvite($id: ID!, $input: TeamInviteInput!) {
  teamInvite(id: $id, input: $input) {
    invitation { id email role expires_at: expiresAt invite_link: inviteLink }
  }
}
"""

TEAM_MEMBER_REMOVE = """
mutation TeamMemberRemove($id: ID!, $userId: ID!) {
  teamMemberRemove(id: $id, userId: $userId) { success message }
}
"""

TEAM_MEMBER_ROLE_UPDATE = """
mutation TeamMemberRoleUpdate($id: ID!, $userId: ID!, $role: TeamAssignableRole!) {
  teamMemberRoleUpdate(id: $id, userId: $userId, role: $role) {
    member { id name email role joined_at: joinedAt }
  }
}
"""

TEAM_LEAVE = """
mutation TeamLeave($id: ID!) {
  teamLeave(id: $id) { success message }
}
"""

TEAM_JOIN = f"""
mutation TeamJoin($inviteCode: String!) {{
  teamJoin(inviteCode: $inviteCode) {{ team {{ {TEAM_DETAIL} role }} }}
}}
"""

TEAM_OWNERSHIP_TRANSFER = f"""
mutation TeamOwnershipTransfer($id: ID!, $userId: ID!) {{
  teamOwnershipTransfer(id: $id, userId: $userId) {{
    team {{ {TEAM_DETAIL} owner_id: ownerId }}
  }}
}}
"""

INVITATION_ACCEPT = f"""
mutation InvitationAccept($token: String!) {{
  invitationAccept(token: $token) {{ team {{ {TEAM_DETAIL} role }} }}
}}
"""

INVITATION_DECLINE = """
mutation InvitationDecline($token: String!) {
  invitationDecline(token: $token) { success message }
}
"""

GENERATION_APPROVE = """
mutation GenerationApprove($id: ID!) {
  generationApprove(id: $id) {
    generation {
      id team_id: teamId author_id: authorId approval_status: approvalStatus
    }
  }
}
"""

GENERATION_REJECT = """
mutation GenerationReject($id: ID!) {
  generationReject(id: $id) {
    generation {
      id team_id: teamId author_id: authorId approval_status: approvalStatus
    }
  }
}
"""
