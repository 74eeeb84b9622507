"""Only the channels configured in the environment are served."""

from pathlib import Path

import yaml

from bot.channels.credentials import enabled_channels, variables, write_active_credentials
from tests.factories import PROJECT_ROOT


def test_variables_are_found_in_nested_entries():
    assert variables({"a": "${X}", "b": {"c": "x${Y}z"}, "d": 3}) == {"X", "Y"}
    assert variables(None) == set()


def test_channel_is_enabled_only_when_all_its_variables_are_set():
    channels = {"rest": None, "tg": {"token": "${T}", "secret": "${S}"}}
    assert list(enabled_channels(channels, {})) == ["rest"]
    assert list(enabled_channels(channels, {"T": "1"})) == ["rest"]
    assert list(enabled_channels(channels, {"T": "1", "S": "2"})) == ["rest", "tg"]


def test_project_credentials_rest_only_without_secrets(tmp_path: Path):
    path = write_active_credentials(PROJECT_ROOT / "credentials.yml", tmp_path, {})
    always_on = ["bot.channels.rest.RestInput", "bot.channels.ops.OpsChannel"]
    assert list(yaml.safe_load(path.read_text())) == always_on
    env = {
        "TWILIO_ACCOUNT_SID": "AC",
        "TWILIO_AUTH_TOKEN": "t",
        "TWILIO_FROM_NUMBER": "+1",
        "TWILIO_PUBLIC_URL": "u",
    }
    active = yaml.safe_load(
        write_active_credentials(PROJECT_ROOT / "credentials.yml", tmp_path, env).read_text()
    )
    assert list(active) == [
        "bot.channels.rest.RestInput",
        "bot.channels.ops.OpsChannel",
        "bot.channels.sms.TwilioInput",
    ]
    assert active["bot.channels.sms.TwilioInput"]["auth_token"] == "${TWILIO_AUTH_TOKEN}"  # Rasa expands it
