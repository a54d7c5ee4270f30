"""Teams: members, roles, invitations, settings and usage."""
