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


@dataclass(frozen=True)
class Dataset:
    file: str
    task: str  # toxicity | sentiment | spam | complaint | suggestion
    lang: str
    trainable: bool  # the licence allows training shipped weights on it
    criticism: bool = False  # negative-but-not-abusive probe for the criticism false-positive rate


DATASETS: tuple[Dataset, ...] = (
    Dataset("toxicity_en_davidson_dev.csv", "toxicity", "en", True),
    Dataset("toxicity_en_mlma_dev.csv", "toxicity", "en", True),
    Dataset("toxicity_fr_mlma_dev.csv", "toxicity", "fr", True),
    Dataset("toxicity_fr_cyberagressionado_chats_dev.csv", "toxicity", "fr", False),
    Dataset("sentiment_fr_deft2017_tweets_dev.csv", "sentiment", "fr", True),
    Dataset("sentiment_en_semeval2017_tweets_dev.csv", "sentiment", "en", True),
    Dataset("stream_sentiment_en_airline_tweets_dev.csv", "sentiment", "en", False, criticism=True),
    Dataset("intent_complaint_en_tweets_dev.csv", "complaint", "en", False, criticism=True),
    Dataset("intent_suggestion_en_forum_dev.csv", "suggestion", "en", False),
    Dataset("spam_en_youtube_comments_dev.csv", "spam", "en", True),
)


def normalised(text: str) -> str:
    return _WS.sub(" ", text.lower()).strip()


def is_train(text: str) -> bool:
    """Deterministic 70/30 split: the hash of the normalised text decides, so duplicates stay together."""
    digest = hashlib.md5(normalised(text).encode("utf-8"), usedforsecurity=False).digest()
    return int.from_bytes(digest[:4], "big") % 100 < TRAIN_PERCENT


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
    return [r for r in rows if is_train(r["text"]) == want]
