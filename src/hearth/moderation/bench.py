"""Realistic rule sets for `hearth bench ingest --rules N` (the speed target: 50 rules cost ≤ 20%)."""

from __future__ import annotations

from typing import Any

WORDS = [
    "idiot",
    "moron",
    "stupid",
    "loser",
    "scam",
    "fraud",
    "liar",
    "trash",
    "garbage",
    "pathetic",
    "connard",
    "abruti",
    "débile",
    "nul",
    "arnaque",
    "escroc",
    "menteur",
    "poubelle",
    "honteux",
    "minable",
    "refund",
    "lawyer",
    "lawsuit",
    "police",
    "boycott",
    "avocat",
    "remboursement",
    "plainte",
    "boycotter",
    "procès",
    "followers",
    "crypto",
    "bitcoin",
    "giveaway",
    "promo",
    "casino",
    "viagra",
    "forex",
    "investment",
    "dm me",
    "globex",
    "initech",
    "umbrella",
    "hooli",
    "vandelay",
    "wonka",
    "stark",
    "wayne",
    "acme-killer",
    "cyberdyne",
]
PATTERNS = [
    r"\b0[67](?:[ .-]?\d{2}){4}\b",  # French mobile numbers
    r"[\w.+-]+@[\w-]+\.[\w.]+",  # e-mail addresses
    r"\b(?:\d[ -]?){13,16}\b",  # card-like numbers
    r"(.)\1{5,}",  # "!!!!!!" and "aaaaaa"
    r"\b(?:bit\.ly|tinyurl\.com|t\.co)/\w+",  # link shorteners
    r"(?-i:\b[A-Z]{12,}\b)",  # shouting (case matters here)
    r"\bwhats?app\s*\+?\d",  # contact me on WhatsApp
    r"\b(?:kill|tuer)\s+(?:you|toi)\b",  # threats
]


def realistic_rules(n: int) -> list[dict[str, Any]]:
    """`n` rules mixing watched words, patterns, scores, links, new members and rate, like a real workspace."""
    rules: list[dict[str, Any]] = []
    for i in range(n):
        kind = i % 6
        rule: dict[str, Any] = {"name": f"Rule {i + 1}", "actions": ["queue"]}
        if kind == 0:
            rule["words"] = "\n".join(WORDS[(i * 7 + k) % len(WORDS)] for k in range(12))
        elif kind == 1:
            rule["patterns"] = "\n".join(PATTERNS[(i + k) % len(PATTERNS)] for k in range(2))
        elif kind == 2:
            rule.update(
                min_abuse=0.6 + (i % 4) * 0.1,
                abuse_kinds=["insult", "hate", "harassment"][: 1 + i % 3],
            )
        elif kind == 3:
            rule.update(min_spam=0.7, has_link=True, actions=["queue", "alert"])
        elif kind == 4:
            rule.update(new_member_days=7, has_link=True, words="\n".join(WORDS[30:40]))
        else:
            rule.update(max_rate_per_hour=20, actions=["queue", "alert"])
        rules.append(rule)
    return rules
