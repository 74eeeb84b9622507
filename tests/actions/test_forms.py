"""The shared form base: abstract (rasa-sdk registers only the real forms), and in step with domain.yml."""

from __future__ import annotations

from pathlib import Path

import yaml

from actions.forms import COMMANDS, SAFETY_INTENTS, InterruptibleForm
from actions.server import build_executor
from bot.store.db import Database
from tests.actions.runtimes import make_runtime
from tests.factories import PROJECT_ROOT


def test_only_the_real_form_validations_are_registered(tmp_path: Path):
    executor = build_executor(
        make_runtime(tmp_path, Database.from_url(f"sqlite:///{tmp_path / 'unused.db'}"))
    )
    validations = {name for name in executor.actions if name.startswith("validate_")}
    assert validations == {
        "validate_report_hazard_form",
        "validate_services_form",
        "validate_alerts_form",
        "validate_survey_form",
    }
    # Registering the base itself would fail: it has no name.
    assert InterruptibleForm.__abstractmethods__ == frozenset({"name"})


def test_typed_answers_are_never_taken_from_a_command_or_a_safety_message():
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    for slot in ("service_category", "service_region", "referral_contact", "alerts_country", "alerts_region"):
        [typed] = [m for m in domain["slots"][slot]["mappings"] if m["type"] == "from_text"]
        assert set(typed["not_intent"]) >= COMMANDS | SAFETY_INTENTS, slot
