"""What every MCP tool shares: the caller of a token, the tool's spec, the limit on list sizes.

The tools of each app live in their own module of this package (`community_tools`, …), each
with a `TOOLS` dict that `server.TOOLS` gathers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mcp.server.mcpserver.exceptions import ToolError

from hearth.core.actors import Actor
from hearth.core.models import ApiToken, Membership
from hearth.core.tokens import authenticate_api_token

MAX_LIMIT = 100


@dataclass(frozen=True)
class Caller:
    token: ApiToken
    membership: Membership

    @property
    def actor(self) -> Actor:
        return Actor(user=self.token.user, via="mcp", user_agent=f"mcp token {self.token.prefix}")


def authenticate(raw: str | None) -> Caller:
    """The caller of a raw token, or ToolError: unknown, expired, revoked, unscoped."""
    token = authenticate_api_token(raw or "")
    if token is None:
        raise ToolError(
            "The API token is missing, unknown, expired or revoked: issue one on the Tokens page "
            "(or `hearth token create`) and set HEARTH_MCP_TOKEN."
        )
    if token.workspace is None:
        raise ToolError(
            "This token was made before tokens were scoped to a workspace: the MCP server needs a "
            "token scoped to one workspace. Issue a new one on the Tokens page."
        )
    membership = (
        Membership.objects.select_related("workspace", "user")
        .filter(user=token.user, workspace=token.workspace)
        .first()
    )
    if membership is None:
        raise ToolError("The token's user is no longer a member of its workspace.")
    return Caller(token, membership)


def limit_of(limit: int) -> int:
    return max(1, min(int(limit), MAX_LIMIT))


@dataclass(frozen=True)
class ToolSpec:
    fn: Callable[..., Any]
    write: bool
    description: str
