"""CSV import of posts: validated line by line with each problem named; all or nothing."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from hearth.channels.models import Channel
from hearth.publishing.actions.approvals import configure_approvals
from hearth.publishing.actions.bulk import import_posts_csv
from hearth.publishing.models import Post, PostState


def _at(hours: int) -> str:
    return (timezone.localtime() + timedelta(hours=hours)).strftime("%Y-%m-%d %H:%M")


def test_a_good_file_creates_scheduled_posts_and_drafts(
    personas: Any, demo_channel: Channel, chirp_channel: Channel
) -> None:
    text = (
        "date,channels,text,title,campaign,labels,class\n"
        f"{_at(2)},{demo_channel.slug}|{chirp_channel.slug},Spring is here,Spring,Spring,tips|lamps,value\n"
        f",{demo_channel.slug},An idea for later,Later,,,engagement\n"
    )
    result = import_posts_csv(personas.workspace, text, by=personas.actor("manager"))
    assert result.errors == []
    first, second = result.posts
    assert first.state == PostState.SCHEDULED and first.variants.count() == 2
    assert first.labels == ["tips", "lamps"] and first.campaign == "Spring"
    assert second.state == PostState.DRAFT and second.scheduled_at is None


def test_every_problem_is_named_with_its_line_and_nothing_is_imported(
    personas: Any, demo_channel: Channel, chirp_channel: Channel
) -> None:
    text = (
        "date,channels,text,class\n"
        f"{_at(2)},{demo_channel.slug},Fine,value\n"
        f"{_at(2)},nowhere,Unknown channel,value\n"
        f"{_at(3)},{demo_channel.slug},Bad class,advert\n"
        f"yesterday,{demo_channel.slug},Bad date,value\n"
        f"{_at(4)},{chirp_channel.slug},{'x' * 300},value\n"
    )
    result = import_posts_csv(personas.workspace, text, by=personas.actor("manager"))
    messages = [str(e) for e in result.errors]
    assert messages[0] == "Line 3: no channel nowhere in this workspace."
    assert messages[1] == "Line 4: class must be value, engagement or promotion."
    assert messages[2].startswith("Line 5: “yesterday” is not a date and time")
    assert len(messages) == 3  # line 6 is checked once the others are fixed
    assert not Post.objects.exists()

    fixed = text.replace(",nowhere,", f",{demo_channel.slug},").replace("advert", "value")
    fixed = fixed.replace("yesterday", _at(5))
    result = import_posts_csv(personas.workspace, fixed, by=personas.actor("manager"))
    assert [str(e)[:7] for e in result.errors] == ["Line 6:"]
    assert "Chirp allows 280 characters" in str(result.errors[0])
    assert not Post.objects.exists()  # all or nothing


def test_the_hourly_cap_counts_the_files_own_lines(personas: Any, chirp_channel: Channel) -> None:
    rows = "".join(f"{_at(2)},{chirp_channel.slug},Post {i},value\n" for i in range(4))
    result = import_posts_csv(
        personas.workspace, "date,channels,text,class\n" + rows, by=personas.actor("manager")
    )
    assert [str(e)[:7] for e in result.errors] == ["Line 5:"]
    assert "at most 3 posts an hour" in str(result.errors[0])


def test_with_approvals_dated_lines_are_planned_drafts(
    personas: Any, demo_channel: Channel
) -> None:
    configure_approvals(personas.workspace, "one", [{"name": "Lead"}], by=personas.actor("owner"))
    result = import_posts_csv(
        personas.workspace,
        f"date,channels,text\n{_at(2)},{demo_channel.slug},Needs a yes\n",
        by=personas.actor("manager"),
    )
    [post] = result.posts
    assert post.state == PostState.DRAFT and post.scheduled_at is not None


def test_the_command_imports_or_names_the_lines(
    personas: Any, demo_channel: Channel, tmp_path: Any
) -> None:
    good = tmp_path / "good.csv"
    good.write_text(f"date,channels,text\n{_at(2)},{demo_channel.slug},Hello\n", encoding="utf-8")
    out = StringIO()
    call_command("post", "import", "--workspace", "acme", str(good), stdout=out)
    assert "Imported 1 posts (1 scheduled, 0 drafts)." in out.getvalue()
    bad = tmp_path / "bad.csv"
    bad.write_text("channels,text\nnowhere,Hi\n", encoding="utf-8")
    err = StringIO()
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("post", "import", "--workspace", "acme", str(bad), stderr=err)
    assert "Line 2: no channel nowhere" in err.getvalue()
    with pytest.raises(CommandError, match="may not do this"):
        call_command(
            "post", "import", "--workspace", "acme", str(good), "--as", personas.viewer.email
        )
