"""deploy/systemd: the units pass `systemd-analyze verify`, run commands that exist, and the
example environment files name every variable the deploy files use (and nothing unknown).

`systemd-analyze verify` checks the executables exist, so the units are verified with
/srv/eore replaced by this checkout (its .venv). Without systemd-analyze that test skips,
unless REQUIRE_SERVICES=1 (CI), where it fails.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Dict, List

import pytest

from bot.cli import build_parser
from bot.settings import VARIABLES
from tests.databases import services_required
from tests.deploy.files import DEPLOY, rasa_variables, variables_in, variables_in_text
from tests.factories import PROJECT_ROOT

UNITS = DEPLOY / "systemd"
INSTALLED_ROOT = "/srv/eore"
# What systemd is asked to verify: the template through one instance.
VERIFIED = [
    "eore-rasa@5005.service",
    "eore-actions.service",
    "eore-outreach.service",
    "eore-migrate.service",
    "eore-expire.service",
    "eore-expire.timer",
]
# Read by Rasa, Sanic or TensorFlow themselves, not by bot/settings.py.
THIRD_PARTY = {"RASA_TELEMETRY_ENABLED", "SANIC_REQUEST_MAX_SIZE", "TF_CPP_MIN_LOG_LEVEL"}


def env_file(path: Path) -> Dict[str, str]:
    """KEY=value lines of an EnvironmentFile (comments and blanks skipped)."""
    pairs = (line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines())
    return {key.strip(): value for key, value in (p for p in pairs if len(p) == 2) if not key.startswith("#")}


def unit_lines(name: str, key: str) -> List[str]:
    """The values of `key=` in a unit file, continuation lines joined."""
    text = (UNITS / name).read_text(encoding="utf-8").replace("\\\n", " ")
    return [line.split("=", 1)[1].strip() for line in text.splitlines() if line.startswith(f"{key}=")]


def test_systemd_accepts_every_unit(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        if services_required():
            pytest.fail("systemd-analyze is required (REQUIRE_SERVICES=1) but not installed")
        pytest.skip("systemd-analyze is not installed")
    for unit in UNITS.glob("eore-*"):
        text = unit.read_text(encoding="utf-8").replace(INSTALLED_ROOT, str(PROJECT_ROOT))
        (tmp_path / unit.name).write_text(text, encoding="utf-8")
    checked = subprocess.run(
        [analyze, "verify", "--man=no", *VERIFIED], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    # Not only the exit status: unknown keys and bad values are warnings on stderr.
    assert (checked.returncode, checked.stdout, checked.stderr) == (0, "", "")


def test_every_unit_file_is_verified() -> None:
    names = sorted(unit.name.replace("@.", "@5005.") for unit in UNITS.glob("eore-*"))
    assert names == sorted(VERIFIED)


def test_the_units_start_what_exists_in_a_checkout() -> None:
    commands = {
        name: shlex.split(line)
        for name in VERIFIED[:-1]
        for line in unit_lines(name.replace("5005", ""), "ExecStart")
    }
    for name, command in commands.items():
        executable = command[0].replace(INSTALLED_ROOT, str(PROJECT_ROOT))
        assert Path(executable).exists(), name
    assert commands["eore-migrate.service"][1:] == ["db", "upgrade"]
    assert commands["eore-expire.service"][1:] == ["data", "expire", "--endpoints", "deploy/endpoints.yml"]
    assert commands["eore-actions.service"][1:3] == ["-m", "actions.server"]
    assert commands["eore-outreach.service"][1:] == [
        "outreach", "worker", "--workers", "4", "--credentials", "deploy/credentials.yml",
    ]  # fmt: skip
    rasa = commands["eore-rasa@5005.service"]
    assert rasa[1:3] == ["run", "--model"]
    for option, value in (
        ("--endpoints", "deploy/endpoints.yml"),
        ("--credentials", "deploy/credentials.yml"),
    ):
        assert rasa[rasa.index(option) + 1] == value
        assert (PROJECT_ROOT / value).is_file()
    assert rasa[rasa.index("--port") + 1] == "%i"


def test_the_migrate_unit_runs_the_bot_db_upgrade_command() -> None:
    parsed = build_parser().parse_args(["db", "upgrade"])
    assert parsed.func.__name__ == "_cmd_db_upgrade"


def test_the_expire_unit_runs_bot_data_expire_on_the_replicas_tracker_store() -> None:
    (line,) = unit_lines("eore-expire.service", "ExecStart")
    parsed = build_parser().parse_args(shlex.split(line)[1:])
    assert parsed.func.__module__ == "bot.retention.feature"
    assert (parsed.endpoints, parsed.dry_run) == ("deploy/endpoints.yml", False)


def test_the_outreach_unit_runs_the_worker_on_the_replicas_credentials() -> None:
    (line,) = unit_lines("eore-outreach.service", "ExecStart")
    parsed = build_parser().parse_args(shlex.split(line)[1:])
    assert parsed.func.__module__ == "bot.outreach.feature"
    assert (parsed.workers, parsed.credentials) == (4, "deploy/credentials.yml")
    assert env_file(UNITS / "eore.env.example")["OUTREACH_QUEUE"] == "redis"


def test_each_replica_has_a_stable_name_from_its_port() -> None:
    assert "REPLICA_NAME=rasa-%i" in unit_lines("eore-rasa@.service", "Environment")


def test_the_env_example_sets_every_variable_the_deploy_files_use() -> None:
    example = env_file(UNITS / "eore.env.example")
    used = rasa_variables()
    for name in VERIFIED[:-1]:
        for line in unit_lines(name.replace("5005", ""), "ExecStart"):
            used |= variables_in_text(line)
    assert used - set(example) == set()


def test_the_env_example_names_no_unknown_variable() -> None:
    example = env_file(UNITS / "eore.env.example")
    # BIND_HOST and ACTIONS_PORT: the units pass them on the command line.
    known = set(VARIABLES) | THIRD_PARTY | rasa_variables() | {"BIND_HOST", "ACTIONS_PORT"}
    assert set(example) - known == set()


def test_the_haproxy_env_example_sets_what_the_config_requires() -> None:
    example = env_file(UNITS / "haproxy.env.example")
    assert {"HAPROXY_BIND", "RASA_1", "RASA_2"} <= set(example)
    assert set(example) <= variables_in(DEPLOY / "haproxy" / "haproxy.cfg")


def test_haproxy_reads_only_its_own_environment_file() -> None:
    lines = (UNITS / "haproxy.service.d" / "eore.conf").read_text(encoding="utf-8").splitlines()
    settings = [line for line in lines if line and not line.startswith("#")]
    assert settings == [
        "[Service]",
        "EnvironmentFile=/etc/eore/haproxy.env",
        f'Environment="CONFIG={INSTALLED_ROOT}/deploy/haproxy/haproxy.cfg"',
    ]
