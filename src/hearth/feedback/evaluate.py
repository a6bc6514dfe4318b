"""Measure duplicate matching on a labelled sample of the suggestion forum file.

The labels (`eval/dedup_labels.json`) are row ids only: the texts are read from the data file
at run time (its licence allows evaluation, not redistribution). The existing ideas are written
here, in French and in English, by us; each labelled suggestion (English) is matched against
them as a new message would be (`similarity.best_matches`, the method's threshold).

- precision: among the suggestions matched to an idea, the share matched to the right one;
- recall: among the suggestions that ask for an idea, the share matched to it;
- false proposals: the share of "none" suggestions that got a proposal anyway.
"""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path
from typing import Any

from hearth.feedback import similarity

LABELS = Path(__file__).parent / "eval" / "dedup_labels.json"
DATA_FILE = "intent_suggestion_en_forum_dev.csv"

IDEAS: dict[str, dict[str, str]] = {
    "bluetooth": {
        "en": "Bluetooth API for apps: talk to paired devices",
        "fr": "API Bluetooth pour les applications : communiquer avec les appareils appairés",
    },
    "cortana": {
        "en": "Let apps use Cortana and its voice commands",
        "fr": "Permettre aux applications d’utiliser Cortana et ses commandes vocales",
    },
    "camera": {
        "en": "Camera: capture, and save photos and videos to the camera roll from apps",
        "fr": "Appareil photo : capturer et enregistrer photos et vidéos dans la pellicule",
    },
    "beta": {
        "en": "A beta store for testers before publishing an app",
        "fr": "Une boutique bêta pour les testeurs avant de publier une application",
    },
    "notification-center": {
        "en": "Act directly from the notification center",
        "fr": "Agir directement depuis le centre de notifications",
    },
    "lock-screen": {
        "en": "Customise the lock screen and open its API",
        "fr": "Personnaliser l’écran de verrouillage et ouvrir son API",
    },
    "background": {
        "en": "More background tasks, background audio and triggers for apps",
        "fr": "Plus de tâches en arrière-plan, d’audio en arrière-plan et de déclencheurs",
    },
    "keyboard": {
        "en": "A better keyboard: swipe typing, arrow keys, more languages",
        "fr": "Un meilleur clavier : saisie par glissement, flèches, plus de langues",
    },
    "live-tiles": {
        "en": "More dynamic live tiles",
        "fr": "Des vignettes dynamiques plus vivantes",
    },
}


def _texts(data_dir: Path) -> dict[str, str]:
    with (data_dir / DATA_FILE).open(encoding="utf-8", newline="") as handle:
        return {row["id"]: row["text"] for row in csv.DictReader(handle)}


def run(
    data_dir: Path, *, methods: list[str], langs: tuple[str, ...] = ("fr", "en")
) -> dict[str, Any]:
    labels = json.loads(LABELS.read_text())
    texts = _texts(data_dir)
    sample = [(rid, key) for key, ids in labels["ideas"].items() for rid in ids if rid in texts]
    sample += [(rid, "") for rid in labels["none"] if rid in texts]
    keys = list(IDEAS)
    out: dict[str, Any] = {"suggestions": len(sample), "ideas": len(keys), "runs": []}
    for how in methods:
        for lang in langs:
            ideas = [IDEAS[k][lang] for k in keys]
            started = time.perf_counter()
            scores = similarity.scores([texts[r] for r, _k in sample], ideas, how=how)
            seconds = time.perf_counter() - started
            for threshold in _grid(how):
                proposed = right = asked = found = false = 0
                for i, (_rid, key) in enumerate(sample):
                    j = int(scores[i].argmax())
                    hit = scores[i, j] >= threshold
                    if key:
                        asked += 1
                    if hit:
                        proposed += 1
                        if keys[j] == key:
                            right += 1
                        if not key:
                            false += 1
                    if key and hit and keys[j] == key:
                        found += 1
                out["runs"].append(
                    {
                        "method": how,
                        "ideas_in": lang,
                        "threshold": threshold,
                        "default": threshold == similarity.THRESHOLDS[how],
                        "proposed": proposed,
                        "precision": round(right / proposed, 3) if proposed else None,
                        "recall": round(found / asked, 3) if asked else None,
                        "false_proposal_rate": round(false / (len(sample) - asked), 3),
                        "texts_per_s": round(len(sample) / seconds, 1) if seconds else None,
                    }
                )
    return out


def _grid(how: str) -> list[float]:
    base = similarity.THRESHOLDS[how]
    return sorted({round(base + d, 2) for d in (-0.1, -0.05, 0.0, 0.05, 0.1)})
