"""The compiled action-result validator accepts and rejects exactly what Rasa's does."""

from __future__ import annotations

import copy
import inspect
from types import SimpleNamespace
from typing import Any, Iterator

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

from bot import remote_actions
from bot.nlg import LocalizedNLG
from bot.remote_actions import RASA_VALIDATE_ACTION_RESULT, compiled_validator, validate_action_result

SLOT = {"event": "slot", "name": "country", "value": "ukraine", "timestamp": None}
BOT = {"event": "bot", "text": "Hello", "data": {}, "metadata": {}, "timestamp": 1.0}

VALID: list[Any] = [
    {},
    {"events": [], "responses": []},
    {"events": [SLOT, BOT, {"event": "active_loop", "name": None}], "responses": [{"text": "hi"}]},
    {"events": [SLOT], "responses": [{"response": "utter_greet", "template": "utter_greet"}]},
    {"extra": "keys are allowed"},
]
INVALID: list[Any] = [
    [],  # not an object
    "events",
    {"events": {}},  # not an array
    {"events": [{"name": "country", "value": "x"}]},  # no "event"
    {"events": [{"event": 5}]},  # "event" not a string
    {"events": [{"event": "slot", "value": "x"}]},  # a slot event without its name: no oneOf matches
    {"events": [SLOT, {"event": "no_such_event"}]},
    {"events": [{**SLOT, "timestamp": "yesterday"}]},
    {"responses": {"text": "hi"}},
    {"responses": ["hi"]},
    {"events": [SLOT], "responses": [{"text": "ok"}, 3]},
]


def outcome(method: Any, result: Any) -> tuple[Any, ...]:
    """What `method` does with `result`: (True,) or the raised error's every telling field."""
    action = RemoteAction("action_x", EndpointConfig("http://localhost:1/webhook"))
    try:
        return (method(action, copy.deepcopy(result)),)
    except ValidationError as error:
        return (
            type(error),
            error.message,
            error.validator,
            error.validator_value,
            list(error.path),
            list(error.schema_path),
            error.instance,
            [(c.message, list(c.schema_path)) for c in error.context or []],
        )


@pytest.fixture()
def installed() -> Iterator[None]:
    remote_actions.install()
    try:
        yield
    finally:
        remote_actions.uninstall()


@pytest.mark.parametrize("result", VALID + INVALID)
def test_the_compiled_validator_decides_and_explains_like_rasas(result: Any) -> None:
    ours = outcome(validate_action_result, result)
    assert ours == outcome(RASA_VALIDATE_ACTION_RESULT, result)
    assert ours == (True,) if result in VALID else ours[0] is ValidationError


def test_an_invalid_reply_is_rejected_with_rasas_message_once_installed(installed: None) -> None:
    action = RemoteAction("action_x", None)
    with pytest.raises(ValidationError) as raised:
        action._validate_action_result({"events": [{"event": "slot", "value": "x"}]})
    assert raised.value.message.endswith(
        ". Failed to validate Action server response from API, make sure your response from the "
        "Action endpoint is valid. For more information about the format visit "
        "https://rasa.com/docs/rasa/custom-actions"
    )
    assert action._validate_action_result({"events": [SLOT]}) is True


def test_the_schema_is_checked_once_per_class(monkeypatch: pytest.MonkeyPatch) -> None:
    class Other(RemoteAction):
        @staticmethod
        def action_response_format_spec() -> dict[str, Any]:
            return {"type": "object", "required": ["events"]}

    checked: list[Any] = []
    validator_class = compiled_validator(RemoteAction).__class__
    original = validator_class.check_schema

    def counting(cls: Any, schema: Any, *args: Any, **kwargs: Any) -> None:
        checked.append(schema)
        original(schema, *args, **kwargs)

    monkeypatch.setattr(validator_class, "check_schema", classmethod(counting))
    for _ in range(3):
        assert validate_action_result(Other("a", None), {"events": []}) is True
    with pytest.raises(ValidationError):
        validate_action_result(Other("a", None), {})  # the subclass's own schema, not Rasa's
    assert checked == [{"type": "object", "required": ["events"]}]


def test_the_nlg_installs_it_when_the_rasa_server_starts(installed: None) -> None:
    remote_actions.uninstall()
    assert RemoteAction._validate_action_result is RASA_VALIDATE_ACTION_RESULT
    renderer = SimpleNamespace(profiles={})  # the NLG only keeps it; nothing is rendered here
    nlg = LocalizedNLG(renderer=renderer)  # type: ignore[arg-type]
    assert nlg.renderer is renderer
    assert RemoteAction._validate_action_result is validate_action_result


def test_rasas_method_is_still_the_one_mirrored() -> None:
    # If a Rasa upgrade changes how replies are checked, the override must be revisited.
    source = inspect.getsource(RASA_VALIDATE_ACTION_RESULT)
    assert "validate(result, self.action_response_format_spec())" in source
    assert "e.message +=" in source
