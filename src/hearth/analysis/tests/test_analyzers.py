"""Behaviour of each analyzer on hand-written French/English messages (no dataset is read)."""

from __future__ import annotations

import numpy as np
import pytest

from hearth.analysis import BatchAnalysis, analyze_batch
from hearth.analysis.engine import (
    DEFAULT_ABUSE_THRESHOLD,
    DEFAULT_SPAM_THRESHOLD,
    SERVICE_FAILURE_SCORE,
    AnalysisRow,
    get_engine,
)
from hearth.analysis.reasons import describe
from hearth.analysis.vectorize import featurize


def one(text: str) -> AnalysisRow:
    return analyze_batch([text]).row(0)


def is_abuse(text: str) -> bool:
    return float(one(text)["abuse_score"]) >= DEFAULT_ABUSE_THRESHOLD


def test_batch_analysis_has_one_row_per_text() -> None:
    res = analyze_batch(["hello there", "", "bonjour à tous"])
    assert isinstance(res, BatchAnalysis)
    assert len(res) == 3
    assert set(res.row(1)) == {
        "lang",
        "sentiment",
        "sentiment_score",
        "abuse_score",
        "abuse_kind",
        "intent",
        "spam_score",
        "reason",
    }


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Bonjour, quelqu'un sait comment changer mon mot de passe ?", "fr"),
        ("Hi everyone, does anyone know how to change my password?", "en"),
        ("Hola a todos, ¿alguien sabe cómo cambiar la contraseña?", "es"),
        ("Hallo zusammen, weiß jemand, wie ich mein Passwort ändern kann?", "de"),
        ("Ciao a tutti, qualcuno sa come cambiare la password?", "it"),
        ("Olá pessoal, alguém sabe como mudar a minha senha?", "pt"),
        ("Hallo allemaal, weet iemand hoe ik mijn wachtwoord kan wijzigen?", "nl"),
    ],
)
def test_language_of_common_languages(text: str, lang: str) -> None:
    assert one(text)["lang"] == lang


@pytest.mark.parametrize("text", ["", "ok", "😀😀😀", "https://example.com/x", "!!!"])
def test_language_is_und_without_enough_letters(text: str) -> None:
    assert one(text)["lang"] == "und"


def test_code_switched_french_with_english_hashtag_is_french() -> None:
    assert (
        one("Franchement la nouvelle version est trop bien, bravo l'équipe #awesome #love")["lang"]
        == "fr"
    )


def test_sentiment_of_clear_praise_and_complaint() -> None:
    res = analyze_batch(
        ["I love this app, thank you so much!", "This update is terrible, nothing works anymore"]
    )
    assert res.sentiment == ["positive", "negative"]
    assert res.sentiment_score[0] > 0.3 > -0.3 > res.sentiment_score[1]


def test_french_negation_pas_mal_du_tout_is_not_negative() -> None:
    assert one("pas mal du tout cette nouvelle version")["sentiment"] != "negative"


def test_french_praise_is_positive() -> None:
    assert one("Merci beaucoup, le support est vraiment génial !")["sentiment"] == "positive"


def test_sentiment_scores_are_bounded() -> None:
    res = analyze_batch(["worst worst worst awful " * 20, "love love love amazing " * 20, ""])
    assert all(-1.0 <= s <= 1.0 for s in res.sentiment_score)


def test_insult_in_english_is_abuse() -> None:
    row = one("you are all idiots")
    assert float(row["abuse_score"]) >= DEFAULT_ABUSE_THRESHOLD
    assert row["abuse_kind"] == "insult"
    assert "idiots" in describe(str(row["reason"]))


def test_insult_in_french_is_abuse() -> None:
    row = one("T'es qu'un gros connard")
    assert float(row["abuse_score"]) >= DEFAULT_ABUSE_THRESHOLD
    assert row["abuse_kind"] == "insult"


def test_obfuscated_insult_is_abuse() -> None:
    assert is_abuse("you're such an 1d10t")
    assert is_abuse("IDIOOOOOT")
    assert is_abuse("t'es un abrutiiiii")


def test_harsh_criticism_of_the_brand_is_negative_not_abuse() -> None:
    row = one("your update broke everything, worst support ever")
    assert row["sentiment"] == "negative"
    assert float(row["abuse_score"]) < DEFAULT_ABUSE_THRESHOLD


def test_harsh_french_criticism_is_not_abuse() -> None:
    assert not is_abuse("Service client nul, inadmissible, trois semaines sans remboursement")


def test_threat_is_a_threat() -> None:
    # The written policy (docs/analysis.md) names threats as their own kind (was "harassment").
    for text in ("je sais où tu habites, je vais te tuer", "I know where you live"):
        row = one(text)
        assert row["abuse_kind"] == "threat", text
        assert float(row["abuse_score"]) >= DEFAULT_ABUSE_THRESHOLD


def test_slur_is_hate() -> None:
    assert one("sale arabe, retourne dans ton pays")["abuse_kind"] == "hate"


def test_profanity_about_a_product_is_profanity_not_abuse() -> None:
    row = one("this app is fucking broken again")
    assert row["abuse_kind"] == "profanity"
    assert float(row["abuse_score"]) < DEFAULT_ABUSE_THRESHOLD


def test_question_intent_en_and_fr() -> None:
    res = analyze_batch(["How do I export my data?", "Comment je fais pour exporter mes données"])
    assert res.intent == ["question", "question"]


def test_suggestion_intent_en_and_fr() -> None:
    res = analyze_batch(
        ["It would be great if you added a dark mode", "Ce serait bien d'avoir un mode sombre"]
    )
    assert res.intent == ["suggestion", "suggestion"]


def test_complaint_and_praise_intent() -> None:
    res = analyze_batch(
        [
            "My order never arrived and support ignores me, terrible service",
            "Great job team, love the new version",
        ]
    )
    assert res.intent == ["complaint", "praise"]


def test_sarcasm_marks_do_not_crash_and_stay_non_abusive() -> None:
    row = one("Oh great, another update that breaks everything... thanks a lot /s 🙄")
    assert float(row["abuse_score"]) < DEFAULT_ABUSE_THRESHOLD


def test_spam_with_link_and_promotion() -> None:
    row = one("Check out my channel and subscribe!!! free giveaway http://bit.ly/xyz")
    assert float(row["spam_score"]) >= DEFAULT_SPAM_THRESHOLD
    assert row["intent"] == "spam"
    assert "1 link" in describe(str(row["reason"]))


def test_ordinary_message_is_not_spam() -> None:
    assert (
        float(one("Thanks for the quick answer, it works now")["spam_score"])
        < DEFAULT_SPAM_THRESHOLD
    )


def test_copy_paste_campaign_is_detected_across_batch() -> None:
    campaign = [
        f"Check out my channel and subscribe for daily giveaways, friend number {i}"
        for i in range(4)
    ]
    res = analyze_batch(campaign + ["A normal message about the weather today"])
    assert all(s >= DEFAULT_SPAM_THRESHOLD for s in res.spam_score[:4])
    assert "copy-paste" in describe(res.reason[0])
    assert res.spam_score[4] < DEFAULT_SPAM_THRESHOLD


def test_a_repeated_protest_is_not_spam() -> None:
    protest = ["DO NOT install the 4.2 update, my lamp will not turn on at all"] * 12
    protest += ["Vous allez rembourser ou on doit tous faire une réclamation ?"] * 12
    res = analyze_batch(protest)
    assert max(res.spam_score) < DEFAULT_SPAM_THRESHOLD, (
        "members repeating a complaint are not a spam campaign"
    )
    assert "copy-paste" not in " ".join(map(describe, res.reason))


def test_a_repeated_link_is_a_campaign() -> None:
    res = analyze_batch(["great lamps for cheap here https://cheap-lamps.example/deal now"] * 5)
    assert all(s >= DEFAULT_SPAM_THRESHOLD for s in res.spam_score)
    assert "copy-paste" in describe(res.reason[0])


def test_copy_paste_uses_recent_history() -> None:
    text = "my music is on every platform now, have a listen friends"
    alone = analyze_batch([text]).spam_score[0]
    with_history = analyze_batch([text], history=[text, text, text]).spam_score[0]
    assert with_history > alone
    assert with_history >= DEFAULT_SPAM_THRESHOLD


def test_emoji_only_and_empty_and_url_only() -> None:
    res = analyze_batch(["😡😡😡", "", "https://example.com"])
    assert res.sentiment[0] == "negative"
    assert res.sentiment[1] == "neutral"
    assert res.abuse_kind[1] == ""
    assert res.lang == ["und", "und", "und"]


def test_very_long_text_is_analysed() -> None:
    text = "The support team was helpful and kind. " * 2000
    row = one(text)
    assert row["lang"] == "en"
    assert row["sentiment"] == "positive"
    assert len(str(row["reason"])) <= 255


def test_non_string_and_nul_characters_are_tolerated() -> None:
    res = analyze_batch(["a\x00b idiots you are", "bonjour"])
    assert len(res) == 2
    assert res.lang[1] in ("fr", "und")


def test_batch_results_do_not_depend_on_neighbours() -> None:
    texts = ["you are all idiots", "merci pour tout", "How do I reset my password?"]
    together = analyze_batch(texts)
    for i, text in enumerate(texts):
        assert analyze_batch([text]).row(i - i) == together.row(i)


@pytest.mark.parametrize(
    "text",
    [
        "t'es qu'une grosse vache, personne veut de toi ici",
        "espèce de boulet, casse-toi",
        "sale fdp ntm",
        "t'es trop moche mdr, va faire un régime",
        "on veut plus de toi dans le groupe, dégage",
    ],
)
def test_french_teen_register_insults_are_abuse(text: str) -> None:
    row = one(text)
    assert float(row["abuse_score"]) >= DEFAULT_ABUSE_THRESHOLD, text
    assert row["abuse_kind"] in ("insult", "harassment"), text


@pytest.mark.parametrize(
    "text",
    [
        "votre appli est nulle, ça plante tout le temps",
        "service client lamentable, c'est une arnaque",
        "franchement la mise à jour est trop nulle, rendez-nous l'ancienne version",
    ],
)
def test_french_teen_register_criticism_of_the_brand_is_not_abuse(text: str) -> None:
    assert not is_abuse(text), text


@pytest.mark.parametrize(
    "text",
    [
        "je suis crevé ce soir, je vais dormir",
        "ma chienne est malade, le véto est fermé",
        "les ordures ne sont toujours pas ramassées dans ma rue",
        "on a vu un raton laveur au zoo",
    ],
)
def test_ordinary_french_words_that_can_be_insults_are_not_abuse_on_their_own(text: str) -> None:
    assert one(text)["abuse_kind"] == "", text


@pytest.mark.parametrize(
    "text",
    [
        "va te pendre",
        "suicide-toi",
        "t'es inutile, crève sale chien",
        "kys",
        "go kill yourself, nobody would miss you",
    ],
)
def test_incitement_to_self_harm_is_harassment(text: str) -> None:
    row = one(text)
    assert row["abuse_kind"] == "harassment", text
    assert float(row["abuse_score"]) >= DEFAULT_ABUSE_THRESHOLD, text


@pytest.mark.parametrize(
    "text",
    [
        "My order never arrived.",
        "I have been on hold for 3 hours",
        "I can't log in since the update",
        "The app keeps crashing when I open my account",
        "Toujours pas reçu ma commande",
        "Impossible de me connecter depuis ce matin",
        "Vol annulé, on attend à la porte 12",
        "ça ne marche plus depuis hier",
    ],
)
def test_a_service_failure_is_negative_without_emotional_words(text: str) -> None:
    row = one(text)
    assert row["sentiment"] == "negative", text
    assert float(row["sentiment_score"]) < 0, text


def test_a_service_failure_to_the_brand_is_a_complaint() -> None:
    assert (
        one("My package never arrived and the tracking has not changed for a week")["intent"]
        == "complaint"
    )


def test_pas_mal_du_tout_stays_positive_next_to_a_failure_word() -> None:
    for text in ("ça marche pas mal du tout", "pas mal du tout, ça fonctionne pas mal"):
        assert one(text)["sentiment"] != "negative", text


def test_failure_rule_turns_neutral_to_negative_and_keeps_positive_and_praise() -> None:
    engine = get_engine()
    texts = [
        "my order never arrived",
        "delayed twice, but it finally came",
        "thanks, my order never arrived",
        "see you tomorrow",
    ]
    batch = featurize(texts, engine.weights.valence, engine.lexicon)
    sent = np.array([1, 2, 1, 1], dtype=np.int64)
    score = np.zeros(4, dtype=np.float32)
    engine.service_failure_sentiment(batch, sent, score)
    assert sent.tolist() == [0, 2, 1, 1]
    assert score[0] <= SERVICE_FAILURE_SCORE and score[1:].tolist() == [0.0, 0.0, 0.0]
