"""Roles and the permission matrix: the only place that says who may do what.

A permission is granted to a role in a workspace; a user may hold different roles in different
workspaces (a freelancer is owner of her own brand and moderator for a client).
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    OWNER = "owner"
    MANAGER = "manager"
    MODERATOR = "moderator"
    ANALYST = "analyst"
    VIEWER = "viewer"


class Perm(StrEnum):
    VIEW = "view"  # read conversations, channels, dashboards
    VIEW_ANALYTICS = "view_analytics"  # reports, exports, statistics
    REPLY = "reply"  # answer, assign, change status, notes
    MODERATE = "moderate"  # hide, sanction, review queue, label decisions
    MANAGE_CHANNELS = "manage_channels"  # create channels, import data, rotate webhook secrets
    MANAGE_MEMBERS = "manage_members"  # invite, change roles, remove teammates
    VIEW_AUDIT = "view_audit"  # the audit log
    MANAGE_WORKSPACE = "manage_workspace"  # rename, settings, delete
    PUBLISH = "publish"  # compose, schedule and pause posts (the calendar)
    APPROVE_POSTS = "approve_posts"  # approve posts, configure approvals, client review links


ROLE_PERMISSIONS: dict[Role, frozenset[Perm]] = {
    Role.OWNER: frozenset(Perm),
    Role.MANAGER: frozenset(Perm) - {Perm.MANAGE_WORKSPACE},
    Role.MODERATOR: frozenset({Perm.VIEW, Perm.VIEW_ANALYTICS, Perm.REPLY, Perm.MODERATE}),
    Role.ANALYST: frozenset({Perm.VIEW, Perm.VIEW_ANALYTICS}),
    Role.VIEWER: frozenset({Perm.VIEW}),
}


def role_has(role: str, perm: Perm) -> bool:
    return perm in ROLE_PERMISSIONS.get(Role(role), frozenset())
