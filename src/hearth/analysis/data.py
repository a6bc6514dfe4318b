"""Labelled datasets of ``../shared/data``: registry, loading and the fixed train/test split."""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from hearth.analysis.errors import InputError

_WS = re.compile(r"\s+")
TRAIN_PERCENT = 70
SUITE_TRAIN_PERCENT = 50


@dataclass(frozen=True)
class Dataset:
    file: str
    task: str  # toxicity | sentiment | spam | complaint | suggestion
    lang: str
    trainable: bool  # the licence allows training shipped weights on it
    criticism: bool = False  # negative-but-not-abusive probe for the criticism false-positive rate
    # Synthetic functional test suite (HateCheck): split by template, scored per functionality.
    suite: bool = False


DATASETS: tuple[Dataset, ...] = (
    Dataset("toxicity_en_davidson_dev.csv", "toxicity", "en", True),
    Dataset("toxicity_en_mlma_dev.csv", "toxicity", "en", True),
    Dataset("toxicity_fr_mlma_dev.csv", "toxicity", "fr", True),
    Dataset("toxicity_fr_cyberagressionado_chats_dev.csv", "toxicity", "fr", False),
    # DEFT 2017 and SemEval-2017 keep their original research-only terms: evaluation only.
    Dataset("sentiment_fr_deft2017_tweets_dev.csv", "sentiment", "fr", False),
    Dataset("sentiment_en_semeval2017_tweets_dev.csv", "sentiment", "en", False),
    Dataset("stream_sentiment_en_airline_tweets_dev.csv", "sentiment", "en", False, criticism=True),
    Dataset("intent_complaint_en_tweets_dev.csv", "complaint", "en", False, criticism=True),
    Dataset("intent_suggestion_en_forum_dev.csv", "suggestion", "en", False),
    Dataset("spam_en_youtube_comments_dev.csv", "spam", "en", True),
    # `_train` files (licences allow shipping weights; data README "Licenses and use"). The two
    # share-alike files (Jigsaw machine-translated, Stormfront) are left out of the shipped weights.
    Dataset("toxicity_fr_toxifrench_forum_train.csv", "toxicity", "fr", True),
    Dataset("toxicity_fr_ftr_tweets_train.csv", "racism", "fr", True),
    Dataset("toxicity_fr_rtplx_train.csv", "toxicity", "fr", True),
    Dataset("toxicity_fr_mhc_hatecheck_train.csv", "toxicity", "fr", True, suite=True),
    Dataset("toxicity_en_hatexplain_train.csv", "toxicity", "en", True),
    Dataset("toxicity_en_hatecheck_train.csv", "toxicity", "en", True, suite=True),
    Dataset("sentiment_en_goemotions_reddit_train.csv", "sentiment", "en", True),
    Dataset("sentiment_en_tse_tweets_train.csv", "sentiment", "en", True),
    Dataset("sentiment_fr_xed_subtitles_train.csv", "sentiment2", "fr", True),
)
# Share-alike (CC BY-SA) training files: never read for the shipped weights.
SHARE_ALIKE = (
    "toxicity_fr_toxifrench_jigsaw_mt_train.csv",
    "toxicity_en_stormfront_forum_train.csv",
)


def normalised(text: str) -> str:
    return _WS.sub(" ", text.lower()).strip()


def is_train(text: str) -> bool:
    """Deterministic 70/30 split: the hash of the normalised text decides, so duplicates stay together."""
    digest = hashlib.md5(normalised(text).encode("utf-8"), usedforsecurity=False).digest()
    return int.from_bytes(digest[:4], "big") % 100 < TRAIN_PERCENT


def is_train_row(row: dict[str, str], ds: Dataset) -> bool:
    """Training row? Test suites split by whole template (half the templates), others by text."""
    if ds.suite:
        key = (row.get("templ_id") or row["text"]).encode("utf-8")
        digest = hashlib.md5(key, usedforsecurity=False).digest()
        return int.from_bytes(digest[:4], "big") % 100 < SUITE_TRAIN_PERCENT
    return is_train(row["text"])


def read_rows(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except UnicodeDecodeError as exc:
        raise InputError(
            f"File {path} is not valid UTF-8 ({exc.reason}); re-save it as UTF-8."
        ) from exc
    if rows and ("text" not in rows[0] or "label" not in rows[0]):
        raise InputError(f"File {path} needs 'text' and 'label' columns.")
    return rows


def load(data_dir: Path, ds: Dataset, split: str = "all") -> list[dict[str, str]]:
    """Rows of a dataset; ``split`` is "train", "test" or "all"."""
    rows = read_rows(data_dir / ds.file)
    if split == "all":
        return rows
    want = split == "train"
    return [r for r in rows if is_train_row(r, ds) == want]
