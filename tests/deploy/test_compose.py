"""deploy/compose.yml and deploy/Dockerfile, read as data (no Docker daemon here to run them):
the services are wired the way README "Running at scale" says."""

from __future__ import annotations

import json
from typing import Any, Dict, List

import pytest
import yaml

from tests.deploy.files import DEPLOY, rasa_variables

COMPOSE: Dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yml").read_text(encoding="utf-8"))
SERVICES: Dict[str, Any] = COMPOSE["services"]
OURS = sorted(
    name for name, service in SERVICES.items() if service.get("image", "").startswith("eore-assistant")
)
REPLICAS = sorted(name for name in OURS if name.startswith("rasa"))


def dockerfile_cmd() -> List[str]:
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    line = next(line for line in text.splitlines() if line.startswith("CMD "))
    return list(json.loads(line[len("CMD ") :]))


def test_the_stack_has_the_documented_services() -> None:
    assert sorted(SERVICES) == sorted(
        ["postgres", "redis", "migrate", "actions", "outreach", "rasa1", "rasa2", "haproxy", "expire"]
    )
    assert OURS == ["actions", "expire", "migrate", "outreach", "rasa1", "rasa2"]


def test_the_outreach_worker_sends_from_the_queue_in_redis() -> None:
    outreach = SERVICES["outreach"]
    assert outreach["command"] == [
        "bot", "outreach", "worker", "--workers", "4", "--credentials", "deploy/credentials.yml",
    ]  # fmt: skip
    assert (outreach["environment"]["OUTREACH_QUEUE"], outreach["environment"]["REDIS_URL"]) == (
        "redis",
        "redis://redis:6379/2",
    )
    assert outreach["depends_on"]["redis"] == {"condition": "service_healthy"}


def test_the_expiry_job_expires_the_replicas_tracker_store() -> None:
    assert SERVICES["expire"]["command"] == ["bot", "data", "expire", "--endpoints", "deploy/endpoints.yml"]
    assert SERVICES["expire"]["profiles"] == ["jobs"]


def test_migrations_run_once_before_every_server() -> None:
    assert SERVICES["migrate"]["command"] == ["bot", "db", "upgrade"]
    assert SERVICES["migrate"]["restart"] == "no"
    for name in OURS:
        if name != "migrate":
            assert SERVICES[name]["depends_on"]["migrate"] == {
                "condition": "service_completed_successfully"
            }, name


@pytest.mark.parametrize("name", ["rasa1", "rasa2", "actions", "migrate", "expire", "outreach"])
def test_every_server_gets_every_variable_the_deploy_files_use(name: str) -> None:
    assert rasa_variables() <= set(SERVICES[name]["environment"])


def test_each_replica_has_its_own_name_and_the_balancer_lists_every_replica() -> None:
    assert [SERVICES[name]["environment"]["REPLICA_NAME"] for name in REPLICAS] == ["rasa-1", "rasa-2"]
    balancer = SERVICES["haproxy"]["environment"]
    assert {key: value for key, value in balancer.items() if key.startswith("RASA_")} == {
        "RASA_1": "rasa1:5005",
        "RASA_2": "rasa2:5005",
    }
    assert "./haproxy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro" in SERVICES["haproxy"]["volumes"]


def test_the_replicas_run_the_images_default_command_on_port_5005() -> None:
    command = dockerfile_cmd()
    assert command[:2] == ["rasa", "run"]
    for option, value in (
        ("--endpoints", "deploy/endpoints.yml"),
        ("--credentials", "deploy/credentials.yml"),
    ):
        assert command[command.index(option) + 1] == value
    assert command[command.index("--port") + 1] == "5005"
    assert all("command" not in SERVICES[name] for name in REPLICAS)
    assert SERVICES["actions"]["command"] == ["python", "-m", "actions.server", "--port", "5055"]
    assert SERVICES["actions"]["environment"]["ACTION_SERVER_URL"] == "http://actions:5055/webhook"


def test_only_the_balancer_is_published_and_only_on_loopback() -> None:
    published = {name: service["ports"] for name, service in SERVICES.items() if "ports" in service}
    assert published == {"haproxy": ["127.0.0.1:8080:8080"]}
