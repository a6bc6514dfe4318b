"""The strategy page's forms: who may change what, errors naming the field, personas linked to
community segments, and amounts in the reader's locale."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from hearth.community.models import Member, ShapeSnapshot
from hearth.strategy import actions, formatting
from hearth.strategy.models import (
    Competitor,
    EditorialLine,
    MediaPlanLine,
    Persona,
    TargetPlatform,
)

NNBSP = "\u202f"


def test_money_is_formatted_per_locale():
    assert formatting.money(1500, "fr") == f"1{NNBSP}500,00"
    assert formatting.money(1500, "en") == "1,500.00"
    assert formatting.money(None, "fr") == "—"


@pytest.fixture
def line(personas):
    return actions.save_media_line(
        personas.workspace,
        {
            "platform": "Instagram",
            "period_start": "2026-11-01",
            "period_end": "2026-11-30",
            "budget": "1500",
            "actual_spend": "1234.5",
            "results": "100",
        },
        by=personas.actor("manager"),
    )


def test_media_plan_amounts_follow_the_page_language(personas, line):
    client = personas.client("analyst")
    fr = client.get("/strategy/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert f"1{NNBSP}500,00" in fr and f"1{NNBSP}234,50" in fr
    assert "1500,00" not in fr
    en = personas.client("analyst").get("/strategy/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "1,500.00" in en and "1,234.50" in en and "12.34" in en


def test_a_manager_edits_the_strategy_in_the_page(personas):
    client = personas.client("manager")
    page = client.get("/strategy/").content.decode()
    assert 'data-testid="media-form"' in page and 'data-testid="persona-new"' in page
    r = client.post("/strategy/editorial/", {"line": "Helpful, warm", "tone_guide": "Tu, not vous"})
    assert r.status_code == 302
    assert EditorialLine.objects.get(workspace=personas.workspace).tone_guide == "Tu, not vous"
    r = client.post("/strategy/platforms/", {"platform": "TikTok", "reason": "Under-25s are there"})
    assert r.status_code == 302
    assert TargetPlatform.objects.get(workspace=personas.workspace).reason == "Under-25s are there"
    r = client.post(
        "/strategy/media-plan/",
        {
            "platform": "TikTok",
            "period_start": "2026-12-01",
            "period_end": "2026-12-31",
            "budget": "2000,50",
        },
    )
    assert r.status_code == 302
    assert str(MediaPlanLine.objects.get(workspace=personas.workspace).budget) == "2000.50"
    r = client.post("/strategy/competitors/new/", {"name": "Brillo", "accounts": "@brillo\n@b2"})
    assert r.status_code == 302
    assert Competitor.objects.get(workspace=personas.workspace).handles == ["brillo", "b2"]
    r = client.post("/strategy/personas/new/", {"name": "Léa", "goals": "A lamp that lasts"})
    assert r.status_code == 302
    persona = Persona.objects.get(workspace=personas.workspace)
    r = client.post(f"/strategy/personas/{persona.pk}/", {"name": "Léa B.", "segment": ""})
    assert Persona.objects.get(pk=persona.pk).name == "Léa B."
    client.post("/strategy/platforms/", {"platform": "TikTok", "delete": "1"})
    assert not TargetPlatform.objects.filter(workspace=personas.workspace).exists()


def test_errors_name_the_field_and_keep_the_input(personas):
    client = personas.client("manager")
    r = client.post(
        "/strategy/media-plan/",
        {
            "platform": "X",
            "period_start": "2026-12-01",
            "period_end": "2026-12-31",
            "budget": "abc",
        },
    )
    assert r.status_code == 400
    body = r.content.decode()
    assert "budget" in body and "abc" in body
    r = client.post("/strategy/media-plan/", {"platform": "X", "period_start": "nope"})
    assert r.status_code == 400 and "period_start" in r.content.decode()
    r = client.post("/strategy/platforms/", {"platform": "TikTok", "reason": ""})
    assert r.status_code == 400 and "reason" in r.content.decode()
    r = client.post("/strategy/personas/new/", {"name": "Léa", "segment": "vips"})
    assert r.status_code == 400 and "segment" in r.content.decode()
    r = client.post("/strategy/competitors/new/", {"name": ""})
    assert r.status_code == 400 and "name" in r.content.decode()
    assert not MediaPlanLine.objects.exists() and not Persona.objects.exists()


def test_only_managers_change_the_strategy(personas, line):
    client = personas.client("analyst")
    assert client.get("/strategy/").status_code == 200
    assert 'data-testid="media-form"' not in client.get("/strategy/").content.decode()
    for url, data in (
        ("/strategy/editorial/", {"line": "x"}),
        ("/strategy/platforms/", {"platform": "X", "reason": "y"}),
        ("/strategy/media-plan/", {"platform": "X"}),
        ("/strategy/personas/new/", {"name": "X"}),
        ("/strategy/competitors/new/", {"name": "X"}),
    ):
        assert client.post(url, data).status_code == 403, url
    assert not Persona.objects.exists() and not TargetPlatform.objects.exists()


def test_another_workspace_cannot_read_or_change_our_strategy(personas, line):
    persona = actions.save_persona(
        personas.workspace, {"name": "Léa"}, by=personas.actor("manager")
    )
    rival = actions.save_competitor(
        personas.workspace, name="Brillo", accounts=[], query_id=None, by=personas.actor("manager")
    )
    outsider = personas.client("outsider")
    page = outsider.get("/strategy/").content.decode()
    assert f'data-testid="persona-{persona.pk}"' not in page and "media-budget" not in page
    assert outsider.get(f"/strategy/personas/{persona.pk}/").status_code == 404
    assert outsider.post(f"/strategy/personas/{persona.pk}/", {"delete": "1"}).status_code == 404
    assert outsider.post(f"/strategy/competitors/{rival.pk}/", {"name": "Mine"}).status_code == 404
    outsider.post(
        "/strategy/media-plan/",
        {
            "platform": "Instagram",
            "period_start": "2026-11-01",
            "period_end": "2026-11-02",
            "budget": "1",
        },
    )
    assert MediaPlanLine.objects.get(pk=line.pk).budget == line.budget
    assert Persona.objects.get(pk=persona.pk).name == "Léa"
    assert Competitor.objects.get(pk=rival.pk).name == "Brillo"


def _member(workspace, key, *, champion=False, creator=False, days_ago=100):
    return Member.objects.create(
        workspace=workspace,
        person_key=key,
        is_champion=champion,
        is_creator=creator,
        first_seen_at=timezone.now() - timedelta(days=days_ago),
    )


def test_a_persona_linked_to_a_segment_shows_its_size_and_trend(personas):
    ws = personas.workspace
    for i in range(3):
        _member(ws, f"c{i}", champion=True, days_ago=5 if i == 0 else 100)
    _member(ws, "x", champion=False)
    _member(personas.other_workspace, "g", champion=True)
    for i in range(4):
        _member(ws, f"k{i}", creator=True)
    today = timezone.localdate()
    ShapeSnapshot.objects.create(workspace=ws, day=today - timedelta(days=20), creators=1)
    ShapeSnapshot.objects.create(workspace=ws, day=today, creators=4)
    client = personas.client("manager")
    client.post("/strategy/personas/new/", {"name": "Fan", "segment": "champion"})
    client.post("/strategy/personas/new/", {"name": "Maker", "segment": "creator"})
    assert Persona.objects.get(name="Fan").segment == "champion"
    en = client.get("/strategy/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    fan = en[en.index("Fan</a>") : en.index("Maker</a>")]
    assert "3 members now" in fan and "1 new in 30 days" in fan
    maker = en[en.index("Maker</a>") :]
    assert "4 members now" in maker and "▲ up 3 in 30 days" in maker


def test_the_api_keeps_a_persona_segment_it_does_not_send(personas):
    persona = actions.save_persona(
        personas.workspace, {"name": "Léa", "segment": "newcomer"}, by=personas.actor("manager")
    )
    actions.save_persona(
        personas.workspace,
        {"name": "Léa", "goals": "x"},
        persona=persona,
        by=personas.actor("manager"),
    )
    assert Persona.objects.get(pk=persona.pk).segment == "newcomer"
