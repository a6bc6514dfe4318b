"""Approvals: the workspace's workflow, comments, requested changes, approvals, and the client
review link. Every step is in the audit log.

A post is submitted (draft → in review) and waits for each step in order (`Post.review_step`).
A step with named approvers is taken by one of them; a step without, by anyone whose role may
approve posts; a client step (`by_client`), by the client through a review link. When the last
step approves, the post is approved — and scheduled at once if it already has a future time.
Requesting changes sends it back to draft, to start over once edited.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hearth.core import audit
from hearth.core.access import check_actor
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.models import Membership, Workspace
from hearth.core.permissions import Perm
from hearth.publishing.actions import notices
from hearth.publishing.actions.posts import post_problems, publishing_settings
from hearth.publishing.models import (
    ApprovalMode,
    ApprovalStep,
    CommentKind,
    Post,
    PostComment,
    PostState,
    ReviewLink,
)

MAX_COMMENT = 4000
MAX_STEPS = 6


@transaction.atomic
def configure_approvals(
    workspace: Workspace, mode: str, steps: list[dict[str, Any]], *, by: Actor
) -> list[ApprovalStep]:
    """Set the workflow: `mode` none / one / multi, and its steps in order, each
    {"name", "approver_ids": [user ids of members], "by_client": bool}.

    Preconditions: the actor may APPROVE_POSTS; one step for "one", 2 to 6 for "multi", none
    for "none"; approvers are members of the workspace.
    Side effects: the steps replaced, posts in review start again at the first step, an audit
    entry.
    """
    check_actor(by, workspace, Perm.APPROVE_POSTS)
    if mode not in ApprovalMode.values:
        raise ActionError(_("Choose no approval, one step or several steps."))
    wanted = {
        ApprovalMode.NONE: (0, 0),
        ApprovalMode.ONE: (1, 1),
        ApprovalMode.MULTI: (2, MAX_STEPS),
    }
    low, high = wanted[ApprovalMode(mode)]
    if not low <= len(steps) <= high:
        raise ActionError(
            _("This workflow needs between %(low)s and %(high)s steps; %(count)s were given.")
            % {"low": low, "high": high, "count": len(steps)}
        )
    members = set(Membership.objects.filter(workspace=workspace).values_list("user_id", flat=True))
    settings = publishing_settings(workspace)
    settings.approval_mode = mode
    settings.save(update_fields=["approval_mode"])
    ApprovalStep.objects.filter(workspace=workspace).delete()
    made = []
    for position, step in enumerate(steps):
        name = str(step.get("name") or "").strip()[:80] or _("Step %(n)s") % {"n": position + 1}
        ids = [int(i) for i in step.get("approver_ids") or []]
        if any(i not in members for i in ids):
            raise ActionError(_("Every approver must be a member of the workspace."))
        made_step = ApprovalStep.objects.create(
            workspace=workspace, position=position, name=name, by_client=bool(step.get("by_client"))
        )
        made_step.approvers.set(ids)
        made.append(made_step)
    Post.objects.filter(workspace=workspace, state=PostState.IN_REVIEW).update(review_step=0)
    audit.record(
        "publishing.approvals.configure",
        by=by,
        workspace=workspace,
        data={
            "mode": mode,
            "steps": [
                {
                    "name": s.name,
                    "approvers": [int(i) for i in (st.get("approver_ids") or [])],
                    "by_client": s.by_client,
                }
                for s, st in zip(made, steps, strict=True)
            ],
        },
    )
    return made


def steps_of(workspace: Workspace | int) -> list[ApprovalStep]:
    return list(ApprovalStep.objects.filter(workspace=workspace).prefetch_related("approvers"))


@transaction.atomic
def submit_for_review(post: Post, *, by: Actor) -> Post:
    """Draft → in review (or approved at once when the workspace has no workflow)."""
    check_actor(by, post.workspace_id, Perm.PUBLISH)
    post = Post.objects.select_for_update().get(pk=post.pk)
    if post.state != PostState.DRAFT:
        raise ActionError(_("Only a draft can be submitted for review."))
    problems = post_problems(post, when=None)
    if problems:
        raise ActionError(" ".join(problems))
    none = not steps_of(post.workspace_id)
    post.state = PostState.APPROVED if none else PostState.IN_REVIEW
    post.review_step = 0
    post.state_detail = ""
    post.updated_at = timezone.now()
    post.save()
    audit.record("publishing.post.submit", by=by, workspace=post.workspace, target=post)
    if none:
        _schedule_if_dated(post, by)
    else:
        notices.tell_reviewers(post, steps_of(post.workspace_id)[0])
    return post


def _check_step_actor(post: Post, by: Actor) -> ApprovalStep:
    steps = steps_of(post.workspace_id)
    if post.state != PostState.IN_REVIEW or post.review_step >= len(steps):
        raise ActionError(_("This post is not waiting for an approval."))
    step = steps[post.review_step]
    if step.by_client:
        raise ActionError(_("This step is the client's: send them a review link."))
    named = {u.pk for u in step.approvers.all()}
    if by.user is not None and named:
        check_actor(by, post.workspace_id, Perm.VIEW)
        if by.user.pk not in named:
            raise PermissionDenied
    else:
        check_actor(by, post.workspace_id, Perm.APPROVE_POSTS)
    return step


def _comment(
    post: Post,
    kind: str,
    text: str,
    *,
    by: Actor | None = None,
    client: str = "",
    link: ReviewLink | None = None,
    step: int | None = None,
) -> PostComment:
    text = (text or "").strip()
    if len(text) > MAX_COMMENT:
        raise ActionError(_("A comment takes at most 4,000 characters."))
    return PostComment.objects.create(
        post=post,
        author=by.user if by else None,
        author_label=(client or (by.label if by else ""))[:254],
        review_link=link,
        kind=kind,
        step=step,
        text=text,
    )


@transaction.atomic
def approve_post(post: Post, *, by: Actor, text: str = "") -> Post:
    """Approve the step the post waits for; the last step approves the post.

    Preconditions: the post is in review; the actor is a named approver of the step, or (no
    one named) may APPROVE_POSTS; a client step is approved through its review link only.
    Side effects: an "approved" comment, the next step or the post approved (and scheduled if
    it has a future time that passes every check), an audit entry.
    """
    post = Post.objects.select_for_update().get(pk=post.pk)
    step = _check_step_actor(post, by)
    _comment(post, CommentKind.APPROVE, text, by=by, step=post.review_step)
    _advance(post, by)
    audit.record(
        "publishing.post.approve",
        by=by,
        workspace=post.workspace,
        target=post,
        data={"step": step.name},
    )
    return post


def _advance(post: Post, by: Actor) -> None:
    steps = steps_of(post.workspace_id)
    post.review_step += 1
    if post.review_step >= len(steps):
        post.state = PostState.APPROVED
    post.updated_at = timezone.now()
    post.save()
    if post.state == PostState.APPROVED:
        _schedule_if_dated(post, by)
        notices.tell_author(post, "approved", by_label=by.label if by.user else _("the client"))
    else:
        notices.tell_reviewers(post, steps[post.review_step])


def _schedule_if_dated(post: Post, by: Actor) -> None:
    if post.scheduled_at is None or post.scheduled_at <= timezone.now():
        return
    if not post_problems(post):
        Post.objects.filter(pk=post.pk, state=PostState.APPROVED).update(state=PostState.SCHEDULED)
        post.state = PostState.SCHEDULED
        audit.record(
            "publishing.post.schedule",
            by=by,
            workspace=post.workspace,
            target=post,
            data={"at": post.scheduled_at.isoformat(), "on_approval": True},
        )


@transaction.atomic
def request_changes(post: Post, *, by: Actor, text: str) -> Post:
    """Send the post back to its author: in review → draft, with what to change."""
    post = Post.objects.select_for_update().get(pk=post.pk)
    _check_step_actor(post, by)
    if not (text or "").strip():
        raise ActionError(_("Say what should change."))
    _comment(post, CommentKind.CHANGES, text, by=by, step=post.review_step)
    post.state, post.review_step, post.updated_at = PostState.DRAFT, 0, timezone.now()
    post.save()
    notices.tell_author(post, "changes", by_label=by.label, text=text.strip())
    audit.record("publishing.post.request_changes", by=by, workspace=post.workspace, target=post)
    return post


@transaction.atomic
def comment_on_post(post: Post, *, by: Actor, text: str) -> PostComment:
    """Any teammate who can see the post may comment on it."""
    check_actor(by, post.workspace_id, Perm.VIEW)
    if not (text or "").strip():
        raise ActionError(_("Write a comment first."))
    comment = _comment(post, CommentKind.COMMENT, text, by=by)
    audit.record("publishing.post.comment", by=by, workspace=post.workspace, target=post)
    return comment


# The client review link ---------------------------------------------------------------------


@transaction.atomic
def create_review_link(
    workspace: Workspace, name: str, posts: list[Post], *, by: Actor, days: int = 14
) -> tuple[ReviewLink, str]:
    """A link for a client with no account; returns it and its token (shown only now).

    Preconditions: the actor may APPROVE_POSTS; 1 to 200 posts of the workspace; 1 to 90 days.
    """
    check_actor(by, workspace, Perm.APPROVE_POSTS)
    if not name.strip():
        raise ActionError(_("Name the link after the client who will open it."))
    if not 1 <= days <= 90:
        raise ActionError(_("A review link lasts between 1 and 90 days."))
    if not posts or len(posts) > 200 or any(p.workspace_id != workspace.pk for p in posts):
        raise ActionError(_("Choose between 1 and 200 posts of this workspace."))
    nonce, digest = ReviewLink.new_nonce()
    link = ReviewLink.objects.create(
        workspace=workspace,
        name=name.strip()[:120],
        token_hash=digest,
        created_by=by.user,
        expires_at=timezone.now() + timedelta(days=days),
    )
    link.posts.set(posts)
    audit.record(
        "publishing.review_link.create",
        by=by,
        workspace=workspace,
        target=link,
        data={"posts": [p.pk for p in posts], "days": days},
    )
    return link, link.token(nonce)


@transaction.atomic
def revoke_review_link(link: ReviewLink, *, by: Actor) -> ReviewLink:
    check_actor(by, link.workspace_id, Perm.APPROVE_POSTS)
    if link.revoked_at is None:
        ReviewLink.objects.filter(pk=link.pk).update(revoked_at=timezone.now())
        link.refresh_from_db()
    audit.record("publishing.review_link.revoke", by=by, workspace=link.workspace, target=link)
    return link


def _client_post(link: ReviewLink, post_id: int) -> Post:
    if not link.is_valid:
        raise PermissionDenied
    post = link.posts.select_for_update().filter(pk=post_id).first()
    if post is None:
        raise ActionError(_("This post is not part of the review."))
    return post


CLIENT = Actor(user=None, via="link")  # a client through a review link (`via` holds 8 characters)


@transaction.atomic
def client_decides(
    link: ReviewLink, post_id: int, decision: str, *, client_name: str, text: str = ""
) -> Post:
    """The client's answer through the link: "approve", "changes" or "comment".

    Preconditions: the link is valid (not expired, not revoked); the post is one it covers. An
    approval takes the post's current step when it is the client's; otherwise it is recorded
    as the client's comment for the team. Requested changes send a post in review back to draft.
    Side effects: a comment signed with the client's name, the post's state, an audit entry.
    """
    post = _client_post(link, post_id)
    who = (client_name.strip() or link.name)[:120]
    label = _("%(name)s (client, through a review link)") % {"name": who}
    steps = steps_of(post.workspace_id)
    at_client_step = (
        post.state == PostState.IN_REVIEW
        and post.review_step < len(steps)
        and steps[post.review_step].by_client
    )
    if decision == "approve":
        _comment(
            post,
            CommentKind.APPROVE,
            text,
            client=label,
            link=link,
            step=post.review_step if at_client_step else None,
        )
        if at_client_step:
            _advance(post, CLIENT)
    elif decision == "changes":
        if not text.strip():
            raise ActionError(_("Say what should change."))
        _comment(post, CommentKind.CHANGES, text, client=label, link=link)
        if post.state == PostState.IN_REVIEW:
            post.state, post.review_step = PostState.DRAFT, 0
            post.updated_at = timezone.now()
            post.save()
        notices.tell_author(post, "changes", by_label=label, text=text.strip())
    elif decision == "comment":
        if not text.strip():
            raise ActionError(_("Write a comment first."))
        _comment(post, CommentKind.COMMENT, text, client=label, link=link)
    else:
        raise ActionError(_("Approve, request changes or comment."))
    audit.record(
        f"publishing.client.{decision}",
        by=CLIENT,
        workspace=post.workspace,
        target=post,
        data={
            "client": who,
            "link": link.pk,
            "step_taken": at_client_step and decision == "approve",
        },
    )
    return post
