"""The Rasa server's check of each action server reply, with the schema compiled once.

Rasa's `RemoteAction._validate_action_result` calls `jsonschema.validate(result, schema)`
for every reply of the action server (every custom action and every form validation):
that call looks up the validator class, checks the schema itself against the JSON Schema
meta-schema and builds a validator, each time. Profiled under load it was the Rasa
server's largest cost (bench/PROFILE.md: about 19 ms of 20 ms per reply was the schema
check). Rasa builds `RemoteAction` objects in several places (actions by name, forms'
validation, the action server's actions), so a subclass cannot be put in their place;
`install()` replaces that one method on the class when the Rasa server starts (called by
our NLG, which Rasa builds once at start in every Rasa server, endpoints.yml). The
replacement keeps Rasa's semantics exactly: the same schema (the class's
`action_response_format_spec()`), the same validator class, the same error chosen
(`best_match`), the same message; only the schema check and the validator are done once
per class instead of once per reply. tests/test_remote_actions.py compares both on valid
and invalid replies and fails if Rasa's method changes.
"""

from __future__ import annotations

from typing import Any, Callable, Dict

from jsonschema.exceptions import best_match
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

# Rasa's own method, kept for the equivalence test and for `uninstall`.
RASA_VALIDATE_ACTION_RESULT: Callable[[RemoteAction, Dict[str, Any]], bool] = (
    RemoteAction._validate_action_result
)

_validators: dict[type, Validator] = {}


def compiled_validator(action_class: type[RemoteAction]) -> Validator:
    """The validator of `action_class`'s reply schema, its schema checked once."""
    validator = _validators.get(action_class)
    if validator is None:
        schema = action_class.action_response_format_spec()
        cls = validator_for(schema)
        cls.check_schema(schema)  # what jsonschema.validate does first, on every call
        validator = _validators[action_class] = cls(schema)
    return validator


def validate_action_result(self: RemoteAction, result: Dict[str, Any]) -> bool:
    """`RemoteAction._validate_action_result` with the schema compiled once (same errors)."""
    error = best_match(compiled_validator(type(self)).iter_errors(result))
    if error is None:
        return True
    # Rasa adds this to the message of what it raises (a developer's log line, not a reply).
    error.message += (
        f". Failed to validate Action server response from API, "
        f"make sure your response from the Action endpoint is valid. "
        f"For more information about the format visit "
        f"{DOCS_BASE_URL}/custom-actions"
    )
    raise error


def install() -> None:
    """Use the compiled validator in this process (idempotent)."""
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]


def uninstall() -> None:
    """Rasa's own method again (tests)."""
    RemoteAction._validate_action_result = RASA_VALIDATE_ACTION_RESULT  # type: ignore[method-assign,assignment]
