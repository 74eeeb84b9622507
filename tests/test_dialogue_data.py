"""The safety path stays in one process: plain responses, in-process NLG."""

from __future__ import annotations

import yaml

from tests.factories import PROJECT_ROOT

SAFETY = {
    "found_object": "utter_found_object",
    "in_hazard_area": "utter_in_hazard_area",
    "someone_injured": "utter_someone_injured",
}


def load(name: str) -> dict:
    return yaml.safe_load((PROJECT_ROOT / name).read_text(encoding="utf-8"))


def test_safety_rules_answer_with_plain_responses_only():
    rules = load("data/rules.yml")["rules"]
    for intent, response in SAFETY.items():
        matching = [r for r in rules if r["steps"][0].get("intent") == intent]
        plain = [r for r in matching if "entities" not in r["steps"][0]]
        assert len(plain) == 1, intent
        rule = plain[0]
        assert "condition" not in rule, "safety rules must hold in any context"
        actions = [step["action"] for step in rule["steps"] if "action" in step]
        assert actions == [response]


def test_a_second_need_is_offered_after_the_safety_answer_in_plain_responses():
    rules = load("data/rules.yml")["rules"]
    offers = {"offer_services": "utter_offer_services", "offer_report": "utter_offer_report"}
    for intent, response in SAFETY.items():
        matching = [r for r in rules if r["steps"][0].get("intent") == intent and "entities" in r["steps"][0]]
        by_entity = {tuple(r["steps"][0]["entities"]): r for r in matching}
        assert sorted(by_entity) == [("offer_report",), ("offer_services",)], intent
        for (entity,), rule in by_entity.items():
            actions = [step["action"] for step in rule["steps"] if "action" in step]
            assert actions == [response, offers[entity]]


def test_nlg_is_our_in_process_class():
    assert load("endpoints.yml")["nlg"] == {"type": "bot.nlg.LocalizedNLG"}


def test_every_intent_of_the_public_taxonomy_is_in_the_domain():
    public = {
        "greet",
        "goodbye",
        "thank",
        "affirm",
        "deny",
        "help",
        "bot_challenge",
        "out_of_scope",
        "change_language",
        "found_object",
        "in_hazard_area",
        "someone_injured",
        "ask_warning_signs",
        "ask_object_types",
        "ask_safe_behaviour",
        "ask_children_safety",
        "start_quiz",
        "report_hazard",
        "find_services",
        "ask_survivor_rights",
        "subscribe_alerts",
        "unsubscribe",
        "delete_my_data",
    }
    names = {i if isinstance(i, str) else next(iter(i)) for i in load("domain.yml")["intents"]}
    assert public <= names


def test_every_intent_has_training_examples_in_every_language():
    names = {i if isinstance(i, str) else next(iter(i)) for i in load("domain.yml")["intents"]}
    for language in ("en", "fr", "es", "uk", "ar", "km"):
        data = load(f"data/nlu/{language}.yml")["nlu"]
        # An intent may have several blocks (Rasa merges them): count them all.
        counts: dict[str, int] = {}
        for b in data:
            if "intent" in b:
                examples = [x for x in b["examples"].splitlines() if x.strip().startswith("- ")]
                counts[b["intent"]] = counts.get(b["intent"], 0) + len(examples)
        assert set(counts) == names, language
        assert min(counts.values()) >= 20, (language, min(counts, key=counts.__getitem__))
