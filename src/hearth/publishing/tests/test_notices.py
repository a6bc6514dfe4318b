"""Who hears about a review: a submitted post's e-mail goes to the named approvers of its step
(else to whoever may approve), the next step's approvers after an approval, and the author
when changes are requested or the post is approved — through the outbox, really sent."""

from __future__ import annotations

from typing import Any

from django.core import mail

from hearth.channels.models import Channel, OutboxItem
from hearth.publishing.actions.approvals import (
    approve_post,
    client_decides,
    configure_approvals,
    create_review_link,
    request_changes,
    submit_for_review,
)
from hearth.publishing.actions.posts import PostIn, VariantIn, create_post
from hearth.publishing.models import Post


def _draft(personas: Any, channel: Channel, title: str = "Spring guide") -> Post:
    return create_post(
        personas.workspace,
        PostIn(title=title, variants=[VariantIn(channel_id=channel.pk, text="Hello")]),
        by=personas.actor("manager"),
    )


def _sent_to() -> list[tuple[list[str], str]]:
    return [(sorted(m.to), m.subject) for m in mail.outbox]


def test_named_approvers_are_asked_step_by_step_and_the_author_hears_the_outcome(
    personas: Any, demo_channel: Channel, django_capture_on_commit_callbacks: Any
) -> None:
    configure_approvals(
        personas.workspace,
        "multi",
        [
            {"name": "Editor", "approver_ids": [personas.analyst.pk]},
            {"name": "Legal", "approver_ids": [personas.viewer.pk, personas.moderator.pk]},
        ],
        by=personas.actor("owner"),
    )
    post = _draft(personas, demo_channel)
    with django_capture_on_commit_callbacks(execute=True):
        submit_for_review(post, by=personas.actor("manager"))
    assert _sent_to() == [(["anna@acme.test"], "[Hearth] Please review “Spring guide”")]
    assert (
        "Editor" in mail.outbox[0].body and f"/publishing/posts/{post.pk}/" in mail.outbox[0].body
    )
    item = OutboxItem.objects.get(ref_type="post", ref_id=post.pk, action="post_review")
    assert item.status == "sent" and item.transport == "email"

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        approve_post(post, by=personas.actor("analyst"))
    assert _sent_to() == [
        (["camille@acme.test", "victor@acme.test"], "[Hearth] Please review “Spring guide”")
    ]
    assert "Legal" in mail.outbox[0].body

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        request_changes(post, by=personas.actor("viewer"), text="Add the price, please.")
    assert _sent_to() == [(["manon@acme.test"], "[Hearth] Changes requested on “Spring guide”")]
    assert "Add the price, please." in mail.outbox[0].body
    assert "victor@acme.test" in mail.outbox[0].body


def test_without_named_approvers_those_who_may_approve_are_asked_and_an_approval_is_told(
    personas: Any, demo_channel: Channel, django_capture_on_commit_callbacks: Any
) -> None:
    configure_approvals(personas.workspace, "one", [{"name": "Lead"}], by=personas.actor("owner"))
    post = _draft(personas, demo_channel)
    with django_capture_on_commit_callbacks(execute=True):
        submit_for_review(post, by=personas.actor("manager"))
    # Owner and manager may approve posts; the author is not asked to review their own post,
    # and nobody of another workspace is.
    assert _sent_to() == [(["olivia@acme.test"], "[Hearth] Please review “Spring guide”")]

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        approve_post(post, by=personas.actor("owner"))
    assert _sent_to() == [(["manon@acme.test"], "[Hearth] “Spring guide” is approved")]


def test_the_client_step_is_announced_and_the_clients_request_reaches_the_author(
    personas: Any, demo_channel: Channel, django_capture_on_commit_callbacks: Any
) -> None:
    configure_approvals(
        personas.workspace,
        "one",
        [{"name": "Client", "by_client": True}],
        by=personas.actor("owner"),
    )
    post = _draft(personas, demo_channel)
    with django_capture_on_commit_callbacks(execute=True):
        submit_for_review(post, by=personas.actor("manager"))
    assert mail.outbox[0].subject == "[Hearth] “Spring guide” waits for the client's approval"
    assert sorted(mail.outbox[0].to) == ["manon@acme.test", "olivia@acme.test"]

    link, _token = create_review_link(
        personas.workspace, "Marie", [post], by=personas.actor("owner")
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client_decides(link, post.pk, "changes", client_name="Marie", text="Warmer tone.")
    assert _sent_to() == [(["manon@acme.test"], "[Hearth] Changes requested on “Spring guide”")]
    assert "Warmer tone." in mail.outbox[0].body and "Marie" in mail.outbox[0].body
