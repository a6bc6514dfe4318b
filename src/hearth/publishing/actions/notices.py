"""Who hears about a post's review: the approvers of the step it waits for, and its author when
changes are requested or it is approved. E-mails go through notify's delivery (the outbox:
retried, and visible with every other way out), in the installation's language."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from hearth.core.models import Membership
from hearth.core.permissions import Perm
from hearth.notify.actions import absolute_url, deliver
from hearth.publishing.models import ApprovalStep, Post


def reviewers_of(post: Post, step: ApprovalStep) -> list[str]:
    """The e-mail addresses of who takes the step: its named approvers, else every member
    whose role may approve posts (for a client step: who sends the client the link)."""
    named = [u.email for u in step.approvers.all() if u.email]
    if named and not step.by_client:
        return sorted(set(named))
    members = Membership.objects.filter(workspace_id=post.workspace_id).select_related("user")
    return sorted(
        {m.user.email for m in members if m.user.email and m.can(Perm.APPROVE_POSTS)}
        - ({post.author.email} if post.author and not step.by_client else set())
    )


def _send(post: Post, event: str, to: list[str], subject: str, body: str) -> None:
    if not to:
        return
    deliver(
        post.workspace_id,
        action="post_review",
        key=f"post-review:{post.pk}:{event}:{int(timezone.now().timestamp() * 1000)}",
        ref=("post", post.pk),
        email={"to": to, "subject": subject, "body": body},
    )


def tell_reviewers(post: Post, step: ApprovalStep) -> None:
    """The post waits for `step`: its approvers are asked to review it."""
    link = absolute_url(reverse("publishing:post", args=[post.pk]))
    author = post.author.email if post.author else _("someone")
    with translation.override(settings.LANGUAGE_CODE):
        if step.by_client:
            subject = _("[Hearth] “%(title)s” waits for the client's approval") % {
                "title": str(post)
            }
            body = _(
                "The post “%(title)s” by %(author)s reached the step “%(step)s”, which the "
                "client takes: send them a review link from the post's page.\n\n%(link)s"
            )
        else:
            subject = _("[Hearth] Please review “%(title)s”") % {"title": str(post)}
            body = _(
                "%(author)s submitted the post “%(title)s”; it waits for your approval at the "
                "step “%(step)s”. Approve it or request changes:\n\n%(link)s"
            )
        body = body % {"title": str(post), "author": author, "step": step.name, "link": link}
    _send(post, f"step{step.position}", reviewers_of(post, step), subject, body)


def tell_author(post: Post, event: str, *, by_label: str, text: str = "") -> None:
    """`event` "changes" (sent back to draft, with what to change) or "approved"."""
    email = post.author.email if post.author else ""
    if not email:
        return
    link = absolute_url(reverse("publishing:post", args=[post.pk]))
    with translation.override(settings.LANGUAGE_CODE):
        if event == "changes":
            subject = _("[Hearth] Changes requested on “%(title)s”") % {"title": str(post)}
            body = _("%(who)s asks for changes:\n\n%(text)s\n\nEdit the post: %(link)s") % {
                "who": by_label,
                "text": text,
                "link": link,
            }
        else:
            subject = _("[Hearth] “%(title)s” is approved") % {"title": str(post)}
            body = _("%(who)s approved the post; it is %(state)s.\n\n%(link)s") % {
                "who": by_label,
                "state": post.get_state_display(),
                "link": link,
            }
    _send(post, event, [email], subject, body)
