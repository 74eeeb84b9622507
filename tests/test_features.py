"""Feature slices register themselves: their checks, placeholders and commands reach the
shared parts (bot content check, the `bot` command) without those naming them."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import bot.features
from bot.cli import main
from bot.content.check import check_placeholders, known_placeholders
from bot.features import FEATURE_MODULES, load_features
from bot.paths import ProjectPaths
from tests.factories import PROJECT_ROOT, copy_project

FAKE = "tests.fake_feature"


@pytest.fixture()
def with_fake(monkeypatch):
    """The registered slices plus the fake one of tests/fake_feature.py."""
    monkeypatch.setattr(bot.features, "FEATURE_MODULES", (*FEATURE_MODULES, FAKE))


def test_the_registered_slices_in_their_order():
    assert [f.name for f in load_features()] == [
        "content",
        "channels",
        "nlu",
        "sms",
        "reports",
        "services",
        "quiz",
        "retention",
        "outreach",
    ]


def test_a_registered_check_runs_in_bot_content_check(tmp_path, capsys, with_fake):
    project = copy_project(tmp_path)
    assert main(["--root", str(project.root), "content", "check"]) == 0
    (project.content / "fake.yml").write_text("fake: true\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["--root", str(project.root), "content", "check"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "content/fake.yml:3: fake problem"
    assert out[-1] == "1 problem(s) found, 0 warning(s)"


def test_a_registered_placeholder_is_known(with_fake):
    messages = [(7, "utter_fake", "Hello {fake_placeholder} {unheard_of}")]
    known = known_placeholders(set(), load_features())
    assert {"fake_placeholder", "reference", "score", "organisation", "emergency_number"} <= known
    assert [str(p) for p in check_placeholders(ProjectPaths(PROJECT_ROOT), messages, known)] == [
        "domain.yml:7: utter_fake: unknown placeholder {unheard_of}"
    ]
    without = known_placeholders(set(), load_features(FEATURE_MODULES))
    assert "fake_placeholder" not in without


def test_a_registered_command_is_in_bot_help_and_runs(tmp_path, capsys, with_fake):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    lines = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert ["fake", "the", "fake", "slice's", "tools"] in lines
    assert main(["--root", str(tmp_path), "fake", "ping"]) == 0
    assert capsys.readouterr().out == f"pong from {tmp_path}\n"


def test_without_the_fake_slice_there_is_no_fake_command(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["fake", "ping"])
    assert exit_.value.code == 2
    assert "invalid choice: 'fake'" in capsys.readouterr().err


# What the action server must not load to answer a referral: the content checks and
# Babel's .po parser belong to `bot content check`, not to a conversation.
CHECK_ONLY_MODULES = (
    "bot.content.check",
    "bot.content.translations",
    "bot.services.check",
    "babel.messages.pofile",
)
# (bot.features itself may load: it is a leaf the erasure hooks are found through.)


def test_import_actions_referral_loads_no_content_check():
    code = (
        "import actions.referral, sys; "
        f"print(sorted(m for m in sys.modules if m in {set(CHECK_ONLY_MODULES)!r}))"
    )
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "PYTHONWARNINGS": "ignore"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout == "[]\n"
