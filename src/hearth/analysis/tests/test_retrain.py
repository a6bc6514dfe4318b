"""Learning from the team: retraining on a workspace's decisions and the activation rule.

The shipped data is replaced by a tiny synthetic set in the shared CSV format, so these tests
never need ../shared/data and each retrain takes about a second.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import item
from django.core.management import CommandError, call_command

from hearth.analysis import retrain as R
from hearth.analysis.actions import record_decision, retrain_workspace, set_thresholds
from hearth.analysis.models import LabelDecision, WorkspaceModel
from hearth.analysis.workspace import analyze_for_workspace, clear_cache
from hearth.conversations.models import Message
from hearth.core.actors import Actor
from hearth.core.models import AuditEvent
from hearth.pipeline.ingest import ingest_batch

NAMES = [
    "alex",
    "sam",
    "jo",
    "max",
    "lea",
    "tom",
    "eva",
    "noa",
    "kim",
    "ray",
    "ana",
    "ben",
    "zoe",
    "leo",
    "mia",
    "ian",
    "liv",
    "gus",
]
OTHER_NAMES = [
    "ada",
    "bob",
    "cyd",
    "dan",
    "eli",
    "fay",
    "gil",
    "hal",
    "ivy",
    "jan",
    "kai",
    "lou",
    "meg",
    "ned",
    "oli",
    "pat",
    "quinn",
    "rob",
    "sue",
    "ted",
]
TOXIC = [
    "you are an idiot {n}",
    "shut up {n}, you moron",
    "{n} is a pathetic loser",
    "nobody likes you {n}, idiot",
]
CLEAN = [
    "thanks {n}, the lamp works great",
    "{n} how do I pair the lamp with my phone?",
    "the new update looks nice {n}",
    "I set up the lamp in the kitchen, {n}",
]
SENTIMENT = {
    "positive": "I love this sunny day {n}",
    "negative": "so sad and tired today {n}, I hate rain",
    "neutral": "the meeting is at noon on tuesday {n}",
}
SPAM = [
    "check out my channel {n} http://spam.example/{n}",
    "subscribe to my channel {n} and win http://win.example",
]
NOT_SPAM = ["nice video {n}, the song is lovely", "{n} I watched this twice"]
# This community's own insult, unknown to the shipped model.
ZORGLUB = ["you absolute zorglub {n}", "typical zorglub take from {n}", "{n} is such a zorglub"]
OK = ["{n} the lamp arrived today", "thanks {n} for the quick answer"]


def _write(path: Path, rows: list[tuple[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "text", "label", "lang"])
        for i, (text, label) in enumerate(rows):
            writer.writerow([i, text, label, "en"])


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """Tiny stand-ins for the shipped training files (same names, same columns)."""
    d = tmp_path / "shared"
    d.mkdir()
    _write(
        d / "toxicity_en_davidson_dev.csv",
        [(t.format(n=n), "toxic") for t in TOXIC for n in NAMES]
        + [(t.format(n=n), "not_toxic") for t in CLEAN for n in NAMES],
    )
    _write(
        # Licence-compatible sentiment file (SemEval-2017 is evaluation-only since the data README).
        d / "sentiment_en_tse_tweets_train.csv",
        [(t.format(n=n), lb) for lb, t in SENTIMENT.items() for n in NAMES],
    )
    _write(
        d / "spam_en_youtube_comments_dev.csv",
        [(t.format(n=n), "spam") for t in SPAM for n in NAMES]
        + [(t.format(n=n), "not_spam") for t in NOT_SPAM for n in NAMES],
    )
    return d


@pytest.fixture(autouse=True)
def _isolated(settings: Any, tmp_path: Path) -> None:
    settings.HEARTH_DATA_DIR = tmp_path / "hearth-data"
    settings.HEARTH_DATA_DIR.mkdir()
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher"
    ]  # personas, not security
    clear_cache()


@pytest.fixture
def moderator_actor(workspace, make_member) -> Actor:
    return Actor.cli(make_member(workspace, "moderator"))


def decide(workspace, templates, names, decided, by, task="abuse", predicted="not_abuse"):
    for t in templates:
        for n in names:
            record_decision(
                t.format(n=n),
                workspace=workspace,
                task=task,
                predicted=predicted,
                decided=decided,
                by=by,
            )


def teach_zorglub(workspace, by):
    decide(workspace, ZORGLUB, NAMES, "abuse", by)
    decide(workspace, OK, NAMES[:10], "not_abuse", by)


def quiet(_line: str) -> None:
    pass


def test_too_few_decisions_changes_nothing(workspace, data_dir, moderator_actor, settings):
    decide(workspace, ZORGLUB, NAMES[:5], "abuse", moderator_actor)  # 15 < 20
    report = retrain_workspace(workspace, data_dir=data_dir, by=Actor.cli(), out=quiet)
    assert not report.activated and report.version is None
    assert "at least 20" in report.message and "abuse 15" in report.message
    assert not WorkspaceModel.objects.exists()
    assert not (settings.HEARTH_DATA_DIR / "models").exists()
    assert not AuditEvent.objects.filter(action="analysis.retrain").exists()


def test_missing_data_dir_names_the_setting_and_the_option(workspace, tmp_path):
    with pytest.raises(R.ActionError, match="HEARTH_TRAINING_DATA.*--data"):
        retrain_workspace(workspace, data_dir=tmp_path / "nowhere", by=Actor.cli(), out=quiet)


def test_retrain_that_learns_the_teams_netiquette_is_activated(
    workspace, other_workspace, data_dir, moderator_actor, settings
):
    teach_zorglub(workspace, moderator_actor)
    assert (
        analyze_for_workspace(workspace.pk, ["you absolute zorglub pete"])[0].abuse_score[0] < 0.5
    )

    report = retrain_workspace(workspace, data_dir=data_dir, by=Actor.cli(), out=quiet)

    assert report.activated, report.reasons
    assert report.tasks == ["abuse"] and report.version == 1 and report.previous_version is None
    assert report.after["abuse"]["decisions_f1"] > report.before["abuse"]["decisions_f1"]
    model = WorkspaceModel.objects.get(workspace=workspace)
    assert model.is_active and model.weights_path == "models/acme/v1.npz"
    assert (settings.HEARTH_DATA_DIR / model.weights_path).is_file()
    assert model.metrics_after == report.after and model.metrics_before == report.before
    entry = AuditEvent.objects.get(action="analysis.retrain")
    assert (
        entry.workspace == workspace
        and entry.data["activated"] is True
        and entry.data["version"] == 1
    )

    # The workspace's texts are analysed with its own model; other workspaces keep the shipped one.
    texts = ["you absolute zorglub pete", "thanks pete, the lamp works great"]
    ours, abuse_t, spam_t = analyze_for_workspace(workspace.pk, texts)
    theirs, *_ = analyze_for_workspace(other_workspace.pk, texts)
    assert (abuse_t, spam_t) == (0.5, 0.5)
    assert ours.abuse_score[0] >= 0.5 and ours.abuse_score[1] < 0.5
    assert theirs.abuse_score[0] < 0.5


def test_retrain_that_makes_things_worse_keeps_the_previous_model(
    workspace, data_dir, moderator_actor
):
    teach_zorglub(workspace, moderator_actor)
    first = retrain_workspace(workspace, data_dir=data_dir, by=Actor.cli(), out=quiet)
    assert first.activated

    # A team that calls ordinary thank-you messages abuse contradicts the shipped labels.
    decide(workspace, CLEAN[:1] + CLEAN[3:], OTHER_NAMES, "abuse", moderator_actor)
    second = retrain_workspace(workspace, data_dir=data_dir, by=Actor.cli(), out=quiet)

    assert not second.activated and second.version == 2
    assert any("shipped test split dropped" in r for r in second.reasons), second.reasons
    assert "v1 stays active" in second.message
    assert second.active_version == 1
    assert list(
        WorkspaceModel.objects.filter(workspace=workspace, is_active=True).values_list(
            "version", flat=True
        )
    ) == [1]
    inactive = WorkspaceModel.objects.get(workspace=workspace, version=2)
    assert not inactive.is_active and "shipped test split dropped" in inactive.verdict
    assert AuditEvent.objects.filter(action="analysis.retrain", data__activated=False).count() == 1
    # The pipeline keeps using v1: ordinary thanks stay clean.
    res, *_ = analyze_for_workspace(workspace.pk, ["thanks pete, the lamp works great"])
    assert res.abuse_score[0] < 0.5


def test_activation_rule_both_ways():
    before = {
        "abuse": {
            "decisions_f1": 0.6,
            "decisions_n": 10,
            "shipped_f1": 0.90,
            "criticism_fpr": 0.010,
        }
    }
    same_or_better = {
        "abuse": {
            "decisions_f1": 0.6,
            "decisions_n": 10,
            "shipped_f1": 0.896,
            "criticism_fpr": 0.014,
        }
    }
    assert R.activation_verdict(before, same_or_better, ["abuse"]) == []
    for key, value, words in [
        ("decisions_f1", 0.59, "held-out decisions dropped"),
        ("shipped_f1", 0.894, "shipped test split dropped"),
        ("criticism_fpr", 0.016, "criticism false-positive rate rose"),
    ]:
        after = {"abuse": {**same_or_better["abuse"], key: value}}
        reasons = R.activation_verdict(before, after, ["abuse"])
        assert len(reasons) == 1 and words in reasons[0]
    no_heldout = {"abuse": {"shipped_f1": 0.9}}
    assert "no held-out decision" in R.activation_verdict(no_heldout, no_heldout, ["abuse"])[0]


def test_latest_decision_on_a_text_wins(workspace, moderator_actor):
    record_decision(
        "you absolute zorglub pete",
        workspace=workspace,
        task="abuse",
        predicted="not_abuse",
        decided="abuse",
        by=moderator_actor,
    )
    record_decision(
        "You  absolute zorglub PETE",
        workspace=workspace,
        task="abuse",
        predicted="abuse",
        decided="not_abuse",
        by=moderator_actor,
    )
    split = R._decisions(workspace)["abuse"]
    assert [lb for _, lb in split.train + split.test] == ["not_abuse"]


def test_ingestion_uses_the_workspace_model_and_thresholds(
    workspace, other_workspace, make_channel, data_dir, moderator_actor
):
    teach_zorglub(workspace, moderator_actor)
    assert retrain_workspace(workspace, data_dir=data_dir, by=Actor.cli(), out=quiet).activated
    ours = make_channel(workspace, name="Forum")
    theirs = make_channel(other_workspace, name="Forum")
    ingest_batch(ours, [item("z1", "you absolute zorglub pete")])
    ingest_batch(theirs, [item("z1", "you absolute zorglub pete")])
    assert Message.objects.get(channel=ours).is_abuse
    assert not Message.objects.get(channel=theirs).is_abuse

    set_thresholds(other_workspace, spam=0.01, by=Actor.cli())
    ingest_batch(theirs, [item("z2", "thanks pete for the quick answer")])
    assert Message.objects.get(channel=theirs, external_id="z2").is_spam


def test_retrain_command_prints_json_and_table(workspace, data_dir, moderator_actor, capsys):
    teach_zorglub(workspace, moderator_actor)
    call_command("analysis", "retrain", "--workspace", "acme", "--data", str(data_dir), "--json")
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["activated"] is True and report["version"] == 1
    call_command("analysis", "retrain", "--workspace", "acme", "--data", str(data_dir))
    out = capsys.readouterr().out
    assert "v2 vs v1" in out and "held-out decisions" in out and "ACTIVATED" in out


def test_retrain_command_errors_are_clean(workspace, tmp_path, monkeypatch):
    monkeypatch.setenv("HEARTH_TRAINING_DATA", str(tmp_path / "missing"))
    with pytest.raises(CommandError, match="HEARTH_TRAINING_DATA"):
        call_command("analysis", "retrain", "--workspace", "acme")
    with pytest.raises(CommandError, match="no workspace 'nope'"):
        call_command("analysis", "retrain", "--workspace", "nope")


def test_decisions_command_counts_per_task_and_label(workspace, moderator_actor, capsys):
    decide(workspace, ZORGLUB[:1], NAMES[:3], "abuse", moderator_actor)
    record_decision(
        "hi",
        workspace=workspace,
        task="spam",
        predicted="spam",
        decided="not_spam",
        by=moderator_actor,
    )
    call_command("analysis", "decisions", "--workspace", "acme", "--json")
    counts = json.loads(capsys.readouterr().out)
    assert counts["abuse"] == {"abuse": 3, "overturned": 3}
    assert counts["spam"] == {"not_spam": 1, "overturned": 1}
    assert LabelDecision.objects.count() == 4


def test_models_api_lists_versions_with_metrics(
    client, workspace, other_workspace, make_member, data_dir, moderator_actor, actor
):
    from hearth.core.actions import create_api_token

    teach_zorglub(workspace, moderator_actor)
    retrain_workspace(workspace, data_dir=data_dir, by=moderator_actor, out=quiet)
    _, token = create_api_token(make_member(workspace, "viewer"), name="t", by=actor)
    response = client.get(
        "/api/v1/workspaces/acme/analysis/models", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 200
    [model] = response.json()
    assert model["version"] == 1 and model["is_active"] and model["tasks"] == ["abuse"]
    assert model["created_by"] == moderator_actor.user.email
    assert model["metrics_after"]["abuse"]["decisions_f1"] == 1.0
    assert (
        client.get(
            "/api/v1/workspaces/globex/analysis/models", HTTP_AUTHORIZATION=f"Bearer {token}"
        ).status_code
        == 404
    )


def test_a_workspace_model_saved_before_a_new_lexicon_feature_still_loads_and_scores(tmp_path):
    """A retrained model on disk outlives releases that add a dense feature (a lexicon category)."""
    import numpy as np

    from hearth.analysis import model as M
    from hearth.analysis import vectorize as V
    from hearth.analysis.engine import Engine

    shipped = M.Weights.load(M.WEIGHTS_DIR / M.WEIGHTS_FILE)
    older = M.Weights(
        sparse=shipped.sparse,
        dense=shipped.dense[:-1],
        bias=shipped.bias,
        valence=shipped.valence,
        meta={},
    )
    older.save(tmp_path / "v1.npz")
    loaded = M.Weights.load(tmp_path / "v1.npz")
    assert loaded.dense.shape == (V.N_DENSE, M.N_OUT)
    assert not np.any(loaded.dense[-1])  # the new feature weighs nothing in the old model
    result = Engine(loaded).analyze(
        ["you are all idiots", "Ma commande n'est toujours pas arrivée"]
    )
    assert result.abuse_score[0] >= 0.5 and result.lang[1] == "fr"
