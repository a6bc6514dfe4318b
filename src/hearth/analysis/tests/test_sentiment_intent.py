"""Sentiment and intent on ordinary brand messages, French and English (hand-written sentences;
no dataset row is read or copied)."""

from __future__ import annotations

import pytest

from hearth.analysis import BatchAnalysis, analyze_batch
from hearth.analysis import second_stage as S
from hearth.analysis.engine import AnalysisRow


def one(text: str) -> AnalysisRow:
    return analyze_batch([text]).row(0)


@pytest.mark.parametrize(
    "text",
    [
        "damn this update is fire, best patch so far",
        "putain cette mise à jour est géniale, bravo l'équipe",
    ],
)
def test_profane_praise_is_positive_and_not_a_complaint(text: str) -> None:
    row = one(text)
    assert row["sentiment"] == "positive"
    assert row["intent"] != "complaint"


@pytest.mark.parametrize(
    "text",
    [
        "What time does your shop open on Saturday?",
        "Hi, is the Lyon store open on Sunday mornings?",
        "Bonjour, vous ouvrez à quelle heure samedi ?",
        "Le magasin de Nantes est-il ouvert le dimanche ?",
    ],
)
def test_plain_question_about_opening_hours_is_neutral_question(text: str) -> None:
    row = one(text)
    assert row["sentiment"] == "neutral"
    assert row["intent"] == "question"


@pytest.mark.parametrize(
    "text",
    [
        "you are a pathetic clown and everyone here laughs at you",
        "t'es vraiment un gros con, personne ne t'aime",
    ],
)
def test_an_insult_is_never_positive_nor_praise(text: str) -> None:
    row = one(text)
    assert row["sentiment"] == "negative"
    assert row["intent"] not in ("praise", "suggestion")


@pytest.mark.parametrize(
    "text",
    [
        "It would be great if the app had a dark mode",
        "Please add a way to export my invoices as CSV",
        "Could you add a pause button for subscriptions?",
        "Add an option to hide read messages",
        "Allow us to change the delivery address after ordering",
        "Any chance you could support Apple Pay?",
        "J'aimerais pouvoir exporter mes factures en PDF",
        "Ce serait bien d'avoir un mode sombre dans l'appli",
        "Pouvez-vous ajouter le paiement en trois fois ?",
        "Ajoutez un mode hors ligne, svp",
        "Je souhaiterais pouvoir choisir l'heure de livraison",
    ],
)
def test_feature_requests_are_suggestions(text: str) -> None:
    assert one(text)["intent"] == "suggestion"


@pytest.mark.parametrize(
    "text",
    [
        "I added two items to my cart yesterday",
        "They allow dogs inside the shop, which is nice",
        "J'ai ajouté mon adresse hier soir",
    ],
)
def test_a_request_verb_outside_the_first_word_is_no_suggestion(text: str) -> None:
    assert one(text)["intent"] != "suggestion"


@pytest.mark.parametrize(
    "text",
    [
        "Oh great, another outage. Thanks a lot 🙄",
        "wow amazing support, three weeks without an answer, yeah right",
        "Bravo, encore une panne ce matin, merci pour rien",
        "Super service client 🙄 toujours pas de réponse",
    ],
)
def test_praise_with_a_sarcasm_mark_is_negative(text: str) -> None:
    row = one(text)
    assert row["sentiment"] == "negative"
    assert row["intent"] != "praise"


@pytest.mark.parametrize(
    "text", ["thanks for the quick reply 🙂", "merci pour la réponse rapide, super 😊"]
)
def test_sincere_thanks_stay_positive(text: str) -> None:
    assert one(text)["sentiment"] == "positive"


@pytest.mark.parametrize(
    ("text", "not_expected"),
    [
        ("pas mal du tout cette nouvelle version", "negative"),
        ("honestly not bad at all, the new menu works", "negative"),
        ("not great, the app logged me out again", "positive"),
        ("franchement pas terrible, l'appli plante encore", "positive"),
    ],
)
def test_negation_flips_the_reading(text: str, not_expected: str) -> None:
    assert one(text)["sentiment"] != not_expected


def test_margin_is_given_for_every_row_and_selects_close_calls() -> None:
    res = analyze_batch(["I love this shop, thank you so much!", "ok", "Je l'ai reçu hier"])
    assert len(res.sentiment_margin) == 3
    assert all(0.0 <= m <= 1.0 for m in res.sentiment_margin)
    picked = S.select(res, abuse_threshold=0.5)
    # French messages go to the second stage for their sentiment; a clear English one does not.
    assert 2 in picked
    assert 0 not in picked
    # A close call is picked whatever its language.
    close = BatchAnalysis(
        lang=["en", "en"],
        abuse_score=[0.01, 0.01],
        sentiment_margin=[0.05, 0.9],
    )
    assert S.select(close, abuse_threshold=0.5) == [0]
    assert S.select(close, abuse_threshold=0.5, from_brand=[True, False]) == []
