"""The draw is re-runnable from the published data, and every published proof binds."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hearth.animation import draw
from hearth.animation.actions import contests
from hearth.animation.models import ContestState
from hearth.core.actions import ActionError

VERIFY = Path(__file__).resolve().parents[4] / "docs" / "verify_draw.py"
IDS = [f"id{n:03d}" for n in range(50)]


def test_ranking_is_deterministic_and_depends_on_the_seed():
    seed = "a" * 64
    assert draw.ranking(seed, IDS) == draw.ranking(seed, list(reversed(IDS)))
    assert draw.ranking(seed, IDS) != draw.ranking("b" * 64, IDS)
    assert sorted(draw.ranking(seed, IDS)) == sorted(IDS)


def test_ranking_follows_the_documented_hmac():
    import hashlib
    import hmac

    seed = draw.new_seed()
    first = min(IDS, key=lambda e: hmac.new(seed.encode(), e.encode(), hashlib.sha256).hexdigest())
    assert draw.ranking(seed, IDS)[0] == first


def test_changing_one_entrant_changes_the_hash():
    changed = [*IDS[:-1], "id999"]
    assert draw.entrants_hash(IDS) != draw.entrants_hash(changed)
    assert draw.entrants_hash(IDS) == draw.entrants_hash(list(reversed(IDS)))
    assert draw.entrants_hash(IDS) != draw.entrants_hash(IDS[:-1])


def test_the_seed_commitment_checks_only_the_committed_seed():
    seed = draw.new_seed()
    commitment = draw.commitment(seed)
    ranked = draw.ranking(seed, IDS)
    good = draw.verify(
        seed=seed,
        seed_commitment=commitment,
        entrant_ids=IDS,
        published_entrants_hash=draw.entrants_hash(IDS),
        winners_count=3,
        published_winners=ranked[:3],
    )
    assert good.ok
    other = draw.new_seed()
    bad = draw.verify(
        seed=other,
        seed_commitment=commitment,
        entrant_ids=IDS,
        published_entrants_hash=draw.entrants_hash(IDS),
        winners_count=3,
        published_winners=ranked[:3],
    )
    assert not bad.commitment_ok and not bad.ok


def _drawn_contest(make_contest, personas, n=12, winners=2):
    contest = make_contest(winners_count=winners)
    for i in range(n):
        contests.enter_by_form(contest, name=f"P{i}", email=f"p{i}@example.org", accept_rules=True)
    by = personas.actor("manager")
    contests.freeze_contest(contest, by=by)
    return contests.draw_contest(contest, by=by)


def test_a_drawn_contest_re_runs_from_its_published_record(db, make_contest, personas):
    contest = _drawn_contest(make_contest, personas)
    record = contests.published_record(contest)
    assert contest.state == ContestState.DRAWN
    result = draw.verify(
        seed=record["seed"],
        seed_commitment=record["seed_commitment"],
        entrant_ids=record["entrants"],
        published_entrants_hash=record["entrants_hash"],
        winners_count=record["winners_count"],
        published_winners=record["winners"],
    )
    assert result.ok and result.winners == contest.winners and len(contest.winners) == 2
    tampered = [*record["entrants"][:-1], "0000000000"]
    assert draw.entrants_hash(tampered) != record["entrants_hash"]


def test_the_standalone_script_agrees_and_catches_a_tampered_record(
    db, make_contest, personas, tmp_path
):
    contest = _drawn_contest(make_contest, personas)
    record = contests.published_record(contest)
    path = tmp_path / "draw.json"
    path.write_text(json.dumps(record))
    ok = subprocess.run(  # noqa: S603
        [sys.executable, str(VERIFY), str(path)], capture_output=True, text=True, check=False
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "The draw checks out." in ok.stdout
    record["winners"] = list(reversed(record["entrants"]))[:2]
    if record["winners"] == contest.winners:
        record["winners"] = record["entrants"][:2]
    path.write_text(json.dumps(record))
    bad = subprocess.run(  # noqa: S603
        [sys.executable, str(VERIFY), str(path)], capture_output=True, text=True, check=False
    )
    assert bad.returncode == 1 and "MISMATCH" in bad.stdout


def test_the_seed_stays_secret_until_the_draw(db, make_contest, personas):
    contest = make_contest()
    contests.enter_by_form(contest, name="A", email="a@example.org", accept_rules=True)
    record = contests.published_record(contest)
    assert record["seed"] is None and record["entrants"] is None
    assert record["seed_commitment"] == draw.commitment(contest.seed)
    contests.freeze_contest(contest, by=personas.actor("manager"))
    record = contests.published_record(contest)
    assert record["seed"] is None and record["entrants_hash"] == draw.entrants_hash(
        record["entrants"]
    )


def test_no_draw_before_the_freeze_and_no_second_draw(db, make_contest, personas):
    contest = make_contest()
    contests.enter_by_form(contest, name="A", email="a@example.org", accept_rules=True)
    by = personas.actor("manager")
    with pytest.raises(ActionError, match="Freeze"):
        contests.draw_contest(contest, by=by)
    contests.freeze_contest(contest, by=by)
    contests.draw_contest(contest, by=by)
    with pytest.raises(ActionError):
        contests.draw_contest(contest, by=by)


def test_a_change_behind_the_frozen_list_refuses_the_draw(db, make_contest, personas):
    contest = make_contest()
    for i in range(3):
        contests.enter_by_form(contest, name="A", email=f"a{i}@example.org", accept_rules=True)
    by = personas.actor("manager")
    contests.freeze_contest(contest, by=by)
    contest.entries.filter(entrant_id=contest.entries.first().entrant_id).update(
        entrant_id="ffffffffff"
    )
    with pytest.raises(ActionError, match="changed since it was frozen"):
        contests.draw_contest(contest, by=by)
