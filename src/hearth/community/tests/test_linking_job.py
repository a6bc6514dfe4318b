"""The linking rules run after the ingest transaction, in one job per batch, once per identity."""

from __future__ import annotations

from typing import Any

from conftest import item

from hearth.community.actions.linking import LINK_TASK, link_pending
from hearth.community.members import member_for_author
from hearth.community.models import Identity, Member
from hearth.community.tasks import link_pending_identities
from hearth.conversations.models import Author
from hearth.core import jobs
from hearth.pipeline.ingest import ingest_batch


def _raw(channel: Any, author: str, handle: str, name: str, n: int) -> dict[str, Any]:
    raw = item(f"{channel.slug}-{author}-{n}", "Hello, how do I pair my lamp?", author=author)
    raw["author"] = {"external_id": author, "handle": handle, "display_name": name}
    return raw


def test_the_batch_commits_before_its_authors_are_linked(
    forum: Any, insta: Any, django_capture_on_commit_callbacks: Any, monkeypatch: Any
) -> None:
    sent: list[tuple[str, tuple[Any, ...]]] = []
    real_send = jobs.send

    def spy(name: str, *args: Any, **kwargs: Any) -> None:
        sent.append((name, args))
        real_send(name, *args, **kwargs)

    monkeypatch.setattr(jobs, "send", spy)
    with django_capture_on_commit_callbacks(execute=True):
        ingest_batch(forum, [_raw(forum, "ana", "@ana_b", "Ana Bell", 1)])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ingest_batch(
            insta,
            [_raw(insta, "ig-77", "ana_b", "Ana Bell", 1), _raw(insta, "ig-78", "bo_x", "Bo X", 2)],
        )
        b = Author.objects.get(channel=insta, external_id="ig-77")
        a = Author.objects.get(channel=forum, external_id="ana")
        # Inside the ingest transaction: a member each, counted, the rules still due.
        assert member_for_author(b).pk != member_for_author(a).pk
        assert member_for_author(b).message_count == 1
        assert Identity.objects.get(author=b).rules_at is None
    sent.clear()
    for callback in callbacks:
        callback()
    # One job for the whole batch, naming its two new authors.
    linking = [args for name, args in sent if name == LINK_TASK]
    assert len(linking) == 1 and sorted(linking[0][0]) == sorted(
        Author.objects.filter(channel=insta).values_list("pk", flat=True)
    )
    assert member_for_author(b).pk == member_for_author(a).pk
    assert Identity.objects.get(author=b).rule == "handle_name"
    assert not Identity.objects.filter(rules_at__isnull=True).exists()


def test_a_lost_job_is_swept_and_running_twice_changes_nothing(
    forum: Any, insta: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        ingest_batch(forum, [_raw(forum, "ana", "@ana_b", "Ana Bell", 1)])
    with django_capture_on_commit_callbacks(execute=False):  # the job is never sent
        ingest_batch(insta, [_raw(insta, "ig-77", "ana_b", "Ana Bell", 1)])
    b = Author.objects.get(channel=insta, external_id="ig-77")
    assert Identity.objects.get(author=b).rules_at is None
    members = Member.objects.count()
    assert link_pending_identities() == 1  # the periodic sweep
    assert Member.objects.count() == members - 1
    assert link_pending_identities() == 0 and link_pending([b.pk]) == 0
    assert Member.objects.count() == members - 1


def test_the_brand_is_claimed_but_never_linked(
    forum: Any, insta: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        ingest_batch(forum, [_raw(forum, "ana", "@lumio", "Lumio", 1)])
    with django_capture_on_commit_callbacks(execute=False):
        ingest_batch(insta, [_raw(insta, "brand", "lumio", "Lumio", 1)])
    brand = Author.objects.get(channel=insta, external_id="brand")
    Author.objects.filter(pk=brand.pk).update(is_brand=True)
    assert link_pending() == 1  # claimed…
    assert not Identity.objects.filter(rules_at__isnull=True).exists()
    ana = Author.objects.get(channel=forum, external_id="ana")
    assert member_for_author(brand).pk != member_for_author(ana).pk  # …never linked
