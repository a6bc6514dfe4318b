"""The inbox pages: list with filters and counts (query count locked), conversation, actions, roles."""

from __future__ import annotations

from conftest import item

from hearth.channels.models import OutboxItem
from hearth.pipeline.ingest import ingest_batch


def test_inbox_lists_threads_with_counts_and_badge(personas, inbox):
    page = personas.client("owner").get("/inbox/").content.decode()
    assert "How do I reset my lamp?" in page and "My order never arrived" in page
    assert 'data-count="3"' in page  # tab badge: three conversations wait for an answer
    assert "(3) Inbox" in page


def test_filter_to_unanswered_negative_questions(personas, inbox):
    page = (
        personas.client("viewer")
        .get("/inbox/?sentiment=negative&intent=question&unanswered=1", HTTP_HX_REQUEST="true")
        .content.decode()
    )
    assert "How do I reset my lamp?" in page and "My order never arrived" not in page
    assert "<html" not in page  # htmx gets the list partial only


def test_list_query_count_does_not_grow_with_threads(
    personas, inbox, demo_channel, django_assert_num_queries
):
    client = personas.client("owner")
    client.get("/inbox/")  # warm the session
    with django_assert_num_queries(7):
        client.get("/inbox/", HTTP_HX_REQUEST="true")
    ingest_batch(
        demo_channel,
        [item(f"n{i}", f"Question number {i}?", author=f"a{i}", minutes=20 + i) for i in range(30)],
    )
    with django_assert_num_queries(7):
        client.get("/inbox/", HTTP_HX_REQUEST="true")


def test_full_page_query_count_is_fixed(personas, inbox, demo_channel, django_assert_num_queries):
    client = personas.client("owner")
    client.get("/inbox/")
    ingest_batch(
        demo_channel,
        [item(f"n{i}", f"Question number {i}?", author=f"a{i}", minutes=20 + i) for i in range(30)],
    )
    # The four view counts and the waiting count are one query; one more for the banner of
    # channels that need re-authorisation, one for the person's own saved views, one for the
    # labels of the waiting messages.
    with django_assert_num_queries(12):
        client.get("/inbox/?view=unanswered")


def test_conversation_view_shows_context_and_actions(personas, inbox, demo_channel):
    ingest_batch(demo_channel, [item("q2", "And the app crashes too.", author="zoe", minutes=40)])
    page = personas.client("moderator").get(f"/inbox/t/{inbox['question'].pk}/").content.decode()
    assert "How do I reset my lamp?" in page
    assert "Earlier with this author" in page and "And the app crashes too." in page
    assert 'data-testid="author-card"' in page and "Send reply" in page and "Spam" in page


def test_viewer_sees_no_reply_form_and_cannot_post(personas, inbox):
    client = personas.client("viewer")
    page = client.get(f"/inbox/t/{inbox['question'].pk}/").content.decode()
    assert "Send reply" not in page
    assert f'action="/inbox/t/{inbox["question"].pk}/reply/"' not in page
    assert "Your role can read this conversation but not reply." in page
    assert client.post(f"/inbox/t/{inbox['question'].pk}/reply/", {"text": "hi"}).status_code == 403
    assert not OutboxItem.objects.exists()


def test_analyst_cannot_mark_spam_from_the_ui(personas, inbox):
    assert (
        personas.client("analyst")
        .post(f"/inbox/t/{inbox['praise'].pk}/status/", {"status": "spam"})
        .status_code
        == 403
    )
    inbox["praise"].refresh_from_db()
    assert inbox["praise"].status == "open"


def test_reply_from_the_page_is_queued_and_shown(
    personas, inbox, django_capture_on_commit_callbacks
):
    client = personas.client("moderator")
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(
            f"/inbox/t/{inbox['question'].pk}/reply/",
            {"text": "On it!", "key": "abc"},
            HTTP_HX_REQUEST="true",
        )
    assert 'data-status="queued"' in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        pass
    client.post(
        f"/inbox/t/{inbox['question'].pk}/reply/",
        {"text": "On it!", "key": "abc"},
        HTTP_HX_REQUEST="true",
    )
    assert OutboxItem.objects.count() == 1


def test_saved_reply_is_rendered_for_the_thread(personas, inbox):
    response = personas.client("moderator").get(
        f"/inbox/t/{inbox['question'].pk}/saved-reply/?key=default-fr-thanks"
    )
    assert response.content.decode().startswith("Bonjour ZOE")


def test_presence_shows_the_other_teammate_replying(inbox, personas):
    thread = inbox["question"]
    personas.client("moderator").post(f"/inbox/t/{thread.pk}/presence/", {"mode": "replying"})
    page = (
        personas.client("owner")
        .post(f"/inbox/t/{thread.pk}/presence/", {"mode": "viewing"})
        .content.decode()
    )
    assert "is replying" in page and "camille@acme.test" in page


def test_bulk_assign_to_me_from_the_list(personas, inbox):
    client = personas.client("moderator")
    client.post(
        "/inbox/bulk/",
        {"ids": [inbox["question"].pk, inbox["praise"].pk], "action": "assign", "value": "me"},
    )
    inbox["question"].refresh_from_db()
    assert inbox["question"].assignee == personas.moderator
    assert "How do I reset my lamp?" in client.get("/inbox/?view=mine").content.decode()


def test_settings_page_is_for_managers(personas, inbox):
    assert personas.client("moderator").get("/inbox/settings/").status_code == 403
    client = personas.client("owner")
    client.post(
        "/inbox/settings/",
        {
            "timezone": "Europe/Paris",
            "hours": '{"0": ["08:00", "17:00"]}',
            "handoff_email": "care@acme.test",
            "handoff_webhook": "",
        },
    )
    assert "care@acme.test" in client.get("/inbox/settings/").content.decode()


def test_an_email_shows_its_subject_apart_from_its_body(personas, workspace, make_channel):
    mailbox = make_channel(
        workspace,
        name="Support mailbox",
        kind="email",
        config={"address": "support@acme.test", "imap_host": "127.0.0.1", "smtp_host": "127.0.0.1"},
        credentials={"password": "unused-here"},
    )
    ingest_batch(
        mailbox,
        [
            item(
                "m1@example.test",
                "Order 1234 never arrived\n\nHello, I ordered a Halo lamp three weeks ago.",
                kind="dm",
                author="ana@example.test",
            )
        ],
    )
    page = personas.client("owner").get("/inbox/").content.decode()
    subject = page.split('data-testid="mail-subject">', 1)[1].split("</strong>", 1)[0]
    assert subject == "Order 1234 never arrived"
    assert '<span class="preview muted small">Hello, I ordered a Halo lamp three weeks ago.' in page
    assert "Order 1234 never arrived Hello" not in page  # not joined into one line
