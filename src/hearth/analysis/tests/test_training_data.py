"""Which files may train the shipped weights, and how evaluation keeps trained rows out."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from hearth.analysis import data as D
from hearth.analysis import train as T
from hearth.analysis.evaluate import CRITICISM_LIKE, positive_f1, suite_scores


def test_research_only_and_share_alike_files_never_train_shipped_weights() -> None:
    trainable = {d.file for d in D.DATASETS if d.trainable}
    for name in (
        "sentiment_fr_deft2017_tweets_dev.csv",
        "sentiment_en_semeval2017_tweets_dev.csv",
        "stream_sentiment_en_airline_tweets_dev.csv",
        "intent_complaint_en_tweets_dev.csv",
        "intent_suggestion_en_forum_dev.csv",
        "toxicity_fr_cyberagressionado_chats_dev.csv",
        *D.SHARE_ALIKE,
    ):
        assert name not in trainable, name
    files = [
        *T.LANG_FILES,
        *T.SENTIMENT_FILES,
        *T.ABUSE_EN_FILES,
        *T.ABUSE_FR_FILES,
        "toxicity_fr_ftr",
    ]
    for prefix in files:
        assert T._by_name(prefix).trainable, prefix


def test_training_refuses_an_evaluation_only_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="may not be used"):
        T.corpus(tmp_path, ["sentiment_en_semeval2017"])


def test_test_suites_split_by_whole_template(tmp_path: Path) -> None:
    ds = next(d for d in D.DATASETS if d.suite)
    path = tmp_path / ds.file
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text", "label", "lang", "functionality", "templ_id"])
        for templ in range(40):
            for k in range(3):
                w.writerow(
                    [f"{templ}-{k}", f"case {templ} variant {k}", "toxic", ds.lang, "x", templ]
                )
    train = D.load(tmp_path, ds, "train")
    test = D.load(tmp_path, ds, "test")
    assert train and test
    assert {r["templ_id"] for r in train}.isdisjoint({r["templ_id"] for r in test})
    assert len(train) + len(test) == 120


def test_suite_scores_per_functionality() -> None:
    rows = [
        {"functionality": "threat_dir_h", "label": "toxic", "label_fine": "hateful"},
        {"functionality": "threat_dir_h", "label": "toxic", "label_fine": "hateful"},
        {"functionality": CRITICISM_LIKE[0], "label": "not_toxic", "label_fine": "non-hateful"},
        {"functionality": CRITICISM_LIKE[1], "label": "not_toxic", "label_fine": "non-hateful"},
    ]
    out = suite_scores(rows, [True, False, True, False], None)
    assert out["functionalities"]["threat_dir_h"]["flagged"] == 1
    assert out["hateful_caught"] == 0.5
    assert out["criticism_like_flagged"] == 0.5
    assert out["hateful_caught_reference"] is None


def test_positive_f1() -> None:
    assert positive_f1(["a", "b", "a"], ["a", "a", "b"], "a") == pytest.approx(0.5)
