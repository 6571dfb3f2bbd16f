"""Users and access without Django admin: invitations, roles, accounts and profiles."""
