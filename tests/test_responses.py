from __future__ import annotations

from typing import Any

from bot.responses import choose_variation, fill, is_only_placeholders, placeholders, render

SAFETY: list[dict[str, Any]] = [
    {"text": "Call {report_number}. Emergency: {emergency_number}."},
    {"text": "Call the emergency number {emergency_number}."},
    {"text": "Tell the police.", "buttons": [{"title": "Choose your country", "payload": "/change_country"}]},
]


def test_placeholders():
    assert placeholders("Call {emergency_number} or {report_number}") == {"emergency_number", "report_number"}
    assert placeholders("No numbers") == set()
    assert is_only_placeholders("{language_name_km}")
    assert not is_only_placeholders("Call {x}")


def test_variation_with_all_numbers_wins():
    chosen = choose_variation(SAFETY, "rest", {"report_number": "1", "emergency_number": "2"})
    assert chosen is SAFETY[0]


def test_variation_falls_back_to_the_numbers_it_can_fill():
    assert choose_variation(SAFETY, "rest", {"emergency_number": "2"}) is SAFETY[1]
    assert choose_variation(SAFETY, "rest", {"emergency_number": ""}) is SAFETY[2]
    assert choose_variation(SAFETY, None, {}) is SAFETY[2]


def test_channel_specific_variation_wins_on_its_channel():
    variations = [{"text": "long"}, {"text": "short", "channel": "sms"}]
    assert choose_variation(variations, "sms", {})["text"] == "short"
    assert choose_variation(variations, "telegram", {})["text"] == "long"


def test_fill_never_raises_on_bad_templates():
    assert fill("Call {emergency_number}", {"emergency_number": "101"}) == "Call 101"
    assert fill("Call {missing}", {}) == "Call {missing}"
    assert fill("Broken {", {}) == "Broken {"


def test_render_translates_text_and_button_titles_without_touching_payloads():
    variation = {"text": "Hello", "buttons": [{"title": "Next", "payload": "/next"}], "channel": "x"}
    translations = {"Hello": "Bonjour", "Next": "Suivant"}
    rendered = render(variation, lambda t: translations.get(t, t), {})
    assert rendered == {"text": "Bonjour", "buttons": [{"title": "Suivant", "payload": "/next"}]}
    assert variation["text"] == "Hello"  # the domain's copy is untouched


def test_did_you_mean_keeps_the_best_ranked_intents_then_menu():
    buttons = [
        {"title": "Found", "payload": "/found_object"},
        {"title": "Hurt", "payload": "/someone_injured"},
        {"title": "Quiz", "payload": "/start_quiz"},
        {"title": "Signs", "payload": "/ask_warning_signs"},
        {"title": "Menu", "payload": "/help"},
    ]
    variation = {"text": "Sorry", "buttons": buttons, "metadata": {"suggest_top_intents": 2}}
    rendered = render(
        variation, lambda t: t, {}, ["greet", "start_quiz", "ask_warning_signs", "found_object"]
    )
    assert [b["title"] for b in rendered["buttons"]] == ["Quiz", "Signs", "Menu"]
    assert "metadata" not in rendered
    without_ranking = render(variation, lambda t: t, {}, [])
    assert [b["title"] for b in without_ranking["buttons"]] == ["Found", "Hurt", "Menu"]
