"""The members API and `hearth member` CLI: same actions, same scoping, errors that name the field."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from hearth.community.members import member_for_author
from hearth.community.models import Member, MergeRecord


@pytest.fixture
def pair(forum, insta, say):
    a = say(forum, "ana", "Hello from the forum", handle="@ana_x", name="Ana")
    b = say(insta, "ana-ig", "Hello from insta", handle="anna_y", name="Anna Y")
    return member_for_author(a), member_for_author(b)


def test_api_list_show_patch(personas, pair, workspace):
    a, _ = pair
    client = personas.client("viewer")
    page = client.get("/api/v1/workspaces/acme/community/members", **personas.auth("viewer")).json()
    assert {m["display_name"] for m in page["items"]} == {"Ana", "Anna Y"}
    detail = client.get(
        f"/api/v1/workspaces/acme/community/members/{a.pk}", **personas.auth("viewer")
    ).json()
    assert detail["identities"][0]["handle"] == "@ana_x"
    bad = client.get(
        "/api/v1/workspaces/acme/community/members?segment=vip", **personas.auth("viewer")
    )
    assert bad.status_code == 400 and "segment" in bad.json()["detail"]
    denied = client.patch(
        f"/api/v1/workspaces/acme/community/members/{a.pk}",
        data={"tags": ["x"]},
        content_type="application/json",
        **personas.auth("viewer"),
    )
    assert denied.status_code == 403
    ok = client.patch(
        f"/api/v1/workspaces/acme/community/members/{a.pk}",
        data={"tags": ["Beta"]},
        content_type="application/json",
        **personas.auth("moderator"),
    )
    assert ok.status_code == 200 and ok.json()["tags"] == ["beta"]


def test_api_merge_unmerge_and_evidence(personas, pair):
    a, b = pair
    client = personas.client("moderator")
    auth = personas.auth("moderator")
    merged = client.post(
        f"/api/v1/workspaces/acme/community/members/{a.pk}/merge",
        data={"other_id": b.pk},
        content_type="application/json",
        **auth,
    ).json()
    assert not Member.objects.filter(pk=b.pk).exists()
    back = client.post(
        f"/api/v1/workspaces/acme/community/merges/{merged['id']}/undo", **auth
    ).json()
    assert back["id"] == b.pk
    author_id = back["identities"][0]["author_id"]
    bad = client.post(
        f"/api/v1/workspaces/acme/community/authors/{author_id}/evidence",
        data={"email": "nope"},
        content_type="application/json",
        **auth,
    )
    assert bad.status_code == 400 and "email" in bad.json()["detail"]


def test_api_export_and_erase_and_tenancy(personas, pair):
    a, b = pair
    outsider = personas.client("outsider")
    for url in (
        f"/api/v1/workspaces/acme/community/members/{a.pk}",
        "/api/v1/workspaces/acme/community/members",
    ):
        assert outsider.get(url, **personas.auth("outsider")).status_code in (403, 404)
    assert (
        outsider.get(
            f"/api/v1/workspaces/globex/community/members/{a.pk}", **personas.auth("outsider")
        ).status_code
        == 404
    )
    assert (
        outsider.delete(
            f"/api/v1/workspaces/globex/community/members/{a.pk}", **personas.auth("outsider")
        ).status_code
        == 404
    )
    client = personas.client("owner")
    data = client.get(
        f"/api/v1/workspaces/acme/community/members/{a.pk}/export", **personas.auth("owner")
    ).json()
    assert "Hello from the forum" in data["summary"]
    gone = client.delete(
        f"/api/v1/workspaces/acme/community/members/{a.pk}?policy=delete", **personas.auth("owner")
    )
    assert gone.status_code == 200 and gone.json() == {"messages": 1, "identities": 1}
    assert not Member.objects.filter(pk=a.pk).exists()


def test_api_segments_and_settings(personas, pair):
    client = personas.client("owner")
    auth = personas.auth("owner")
    assert (
        client.get("/api/v1/workspaces/acme/community/segments", **auth).json()["segments"][
            "creator"
        ]
        == 2
    )
    bad = client.put(
        "/api/v1/workspaces/acme/community/settings",
        data={"newcomer_days": 0},
        content_type="application/json",
        **auth,
    )
    assert bad.status_code == 400 and "newcomer_days" in bad.json()["detail"]


def run(*args: str) -> str:
    out = StringIO()
    call_command("member", *args, stdout=out)
    return out.getvalue()


def test_cli_list_show_merge_unmerge_export_erase(pair, workspace):
    a, b = pair
    listed = json.loads(run("list", "--workspace", "acme", "--json"))
    assert {m["id"] for m in listed} == {a.pk, b.pk}
    assert "@ana_x" in run("show", "--workspace", "acme", "--member", str(a.pk))
    run("merge", "--workspace", "acme", "--member", str(a.pk), "--other", str(b.pk))
    record = MergeRecord.objects.get()
    run("unmerge", "--workspace", "acme", "--merge", str(record.pk))
    assert Member.objects.filter(pk=b.pk).exists()
    assert "Messages: 1" in run("export", "--workspace", "acme", "--member", str(a.pk), "--summary")
    with pytest.raises(CommandError, match="--yes"):
        run("erase", "--workspace", "acme", "--member", str(a.pk))
    run("erase", "--workspace", "acme", "--member", str(a.pk), "--yes")
    assert not Member.objects.filter(pk=a.pk).exists()


def test_cli_scoping_and_roles(pair, other_workspace, personas):
    a, _ = pair
    with pytest.raises(CommandError, match="no member"):
        run("show", "--workspace", "globex", "--member", str(a.pk))
    with pytest.raises(CommandError, match="may not"):
        run(
            "erase",
            "--workspace",
            "acme",
            "--member",
            str(a.pk),
            "--yes",
            "--as",
            "camille@acme.test",
        )
    with pytest.raises(CommandError, match="FIELD"):
        run("thresholds", "--workspace", "acme", "--set", "bogus=1")
    assert "newcomer_days" in run("thresholds", "--workspace", "acme", "--set", "newcomer_days=7")
