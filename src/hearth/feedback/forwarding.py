"""Forwarding ideas to GitHub issues and Jira, as outbox transports, and reading status back.

The requests (docs/feedback.md shows them whole):

- GitHub: `POST {base}/repos/{owner}/{repo}/issues` with `Authorization: Bearer <token>`,
  `Accept: application/vnd.github+json`, `X-GitHub-Api-Version: 2022-11-28` and
  `{"title", "body", "labels": ["idea"]}`; 201 gives `number` and `html_url`. Status back:
  the `issues` webhook (`X-Hub-Signature-256: sha256=<HMAC of the body>`) or
  `GET {base}/repos/{owner}/{repo}/issues/{number}` (`state`, `state_reason`).
- Jira Cloud: `POST {base}/rest/api/3/issue` with HTTP Basic (account e-mail, API token) and
  `{"fields": {"project": {"key"}, "summary", "description": <Atlassian document>,
  "issuetype": {"name": "Task"}, "labels": ["idea"]}}`; 201 gives `key`. Status back: the
  `jira:issue_updated` webhook (`X-Hub-Signature: sha256=<HMAC>` when a secret is set) or
  `GET {base}/rest/api/3/issue/{key}?fields=status` (`fields.status.statusCategory.key`).

Answers become the outbox's outcomes: 401, and 403 that is not a rate limit, fail (a person
fixes the token); 429 and GitHub's 403 with `x-ratelimit-remaining: 0` wait (Retry-After, or
the reset time); 5xx retries with back-off; a timeout after the request left is an unknown
outcome — creating an issue is not idempotent, so the item becomes unconfirmed.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

import requests

from hearth.channels.connectors.base import (
    ConnectorError,
    FatalConnectorError,
    OutcomeUnknown,
    RetryLater,
    SendResult,
    retry_after_seconds,
)
from hearth.channels.models import OutboxItem
from hearth.core import outbound
from hearth.core.outbound import OutboundRefused
from hearth.feedback.models import ForwardTarget, IdeaLink, TargetKind

FORWARD_ACTION = "idea_forward"
TIMEOUT_S = 10
USER_AGENT = "Hearth/1 (ideas)"


def _target(item: OutboxItem) -> ForwardTarget:
    target = ForwardTarget.objects.filter(
        pk=item.payload.get("target_id"), workspace_id=item.workspace_id
    ).first()
    if target is None:
        raise FatalConnectorError("The forwarding target was removed.")
    return target


def _raise_for(response: requests.Response, what: str) -> None:
    status = response.status_code
    if status == 429 or (status == 403 and response.headers.get("x-ratelimit-remaining") == "0"):
        wait = retry_after_seconds(response.headers.get("Retry-After"), 60)
        reset = response.headers.get("x-ratelimit-reset", "")
        if not response.headers.get("Retry-After") and reset.isdigit():
            wait = max(1.0, int(reset) - time.time())
        raise RetryLater(f"{what} asked to slow down (HTTP {status}).", after_s=wait)
    if status in (401, 403):
        raise FatalConnectorError(
            f"{what} refused the token (HTTP {status}): paste a valid token with the right "
            "permission in the forwarding target."
        )
    if status >= 500 or status == 408:
        raise ConnectorError(f"{what} answered HTTP {status}.")
    if status >= 300:
        raise FatalConnectorError(f"{what} answered HTTP {status}: {response.text[:200]}")


def request(
    method: str, url: str, *, what: str, json: Any = None, **kwargs: Any
) -> requests.Response:
    """One call through the outbound guard, its failures typed for the outbox."""
    try:
        with outbound.session() as session:
            response = session.request(
                method,
                url,
                json=json,
                timeout=TIMEOUT_S,
                allow_redirects=False,
                **kwargs,
            )
    except OutboundRefused as exc:
        raise FatalConnectorError(str(exc)) from None
    except requests.ReadTimeout:
        raise OutcomeUnknown(f"{what} did not answer within {TIMEOUT_S} s.") from None
    except requests.RequestException as exc:
        raise ConnectorError(f"{what} could not be reached ({type(exc).__name__}).") from None
    _raise_for(response, what)
    return response


def _github_headers(target: ForwardTarget) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {target.token}",
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
        "User-Agent": USER_AGENT,
    }


def send_github(item: OutboxItem) -> SendResult:
    target = _target(item)
    response = request(
        "POST",
        f"{target.base_url}/repos/{target.project}/issues",
        what="GitHub",
        headers=_github_headers(target),
        json={
            "title": item.payload.get("title", ""),
            "body": item.payload.get("body", ""),
            "labels": ["idea"],
        },
    )
    data = response.json()
    return SendResult(external_id=str(data.get("number", "")), url=str(data.get("html_url", "")))


def _jira_auth(target: ForwardTarget) -> tuple[str, str]:
    return (target.user, target.token)


def _adf(text: str) -> dict[str, Any]:
    """Jira Cloud's v3 API takes descriptions as an Atlassian document."""
    paragraphs = [p for p in text.split("\n\n") if p.strip()] or [" "]
    return {
        "type": "doc",
        "version": 1,
        "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": p}]} for p in paragraphs
        ],
    }


def send_jira(item: OutboxItem) -> SendResult:
    target = _target(item)
    response = request(
        "POST",
        f"{target.base_url}/rest/api/3/issue",
        what="Jira",
        auth=_jira_auth(target),
        headers={"Accept": "application/json", "User-Agent": USER_AGENT},
        json={
            "fields": {
                "project": {"key": target.project},
                "summary": str(item.payload.get("title", ""))[:250],
                "description": _adf(str(item.payload.get("body", ""))),
                "issuetype": {"name": "Task"},
                "labels": ["idea"],
            }
        },
    )
    key = str(response.json().get("key", ""))
    return SendResult(external_id=key, url=f"{target.base_url}/browse/{key}" if key else "")


def record_link(item: OutboxItem) -> None:
    """On-sent handler: keep the external item's id and address on the idea's link."""
    link_id = item.payload.get("link_id")
    if not link_id:
        return
    IdeaLink.objects.filter(pk=link_id, idea__workspace_id=item.workspace_id).update(
        external_id=item.external_id[:120], url=item.external_url[:500]
    )


def read_status(link: IdeaLink) -> str:
    """Poll the tracker for the item's status, in the form `sync_external_status` reads."""
    target = link.target
    if target.kind == TargetKind.GITHUB:
        data = request(
            "GET",
            f"{target.base_url}/repos/{target.project}/issues/{link.external_id}",
            what="GitHub",
            headers=_github_headers(target),
        ).json()
        state = str(data.get("state", ""))
        return f"{state}:{data.get('state_reason') or ''}" if state == "closed" else state
    if target.kind == TargetKind.JIRA:
        data = request(
            "GET",
            f"{target.base_url}/rest/api/3/issue/{link.external_id}?fields=status",
            what="Jira",
            auth=_jira_auth(target),
            headers={"Accept": "application/json"},
        ).json()
        return jira_status(data.get("fields", {}).get("status", {}))
    return ""


def jira_status(status: dict[str, Any]) -> str:
    category = str((status.get("statusCategory") or {}).get("key", ""))
    return category or str(status.get("name", ""))


def signature_ok(secret: str, body: bytes, header: str) -> bool:
    """GitHub's `X-Hub-Signature-256` and Jira's `X-Hub-Signature`: "sha256=" + hex HMAC."""
    if not secret or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256="))


def parse_hook(kind: str, data: dict[str, Any]) -> tuple[str, str] | None:
    """(external id, status) from a tracker's webhook body, or None when it is about nothing we
    follow (another event, no status)."""
    if kind == TargetKind.GITHUB:
        issue = data.get("issue")
        if not isinstance(issue, dict) or data.get("action") not in ("closed", "reopened"):
            return None
        state = str(issue.get("state", ""))
        status = f"{state}:{issue.get('state_reason') or ''}" if state == "closed" else state
        return str(issue.get("number", "")), status
    if kind == TargetKind.JIRA:
        issue = data.get("issue")
        if not isinstance(issue, dict):
            return None
        found: dict[str, Any] = (issue.get("fields") or {}).get("status") or {}
        return str(issue.get("key", "")), jira_status(found)
    return None
