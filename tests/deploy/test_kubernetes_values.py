"""deploy/kubernetes: the Helm values and manifests say what the tested deploy files say.

No cluster here: these read the files as data, so the chart values cannot drift from
deploy/endpoints.yml and deploy/credentials.yml (tested with Rasa's own loaders), and
the HAProxy manifest points at the headless Service that selects the chart's pods.
"""

from __future__ import annotations

from typing import Any, Dict, List

import yaml

from tests.deploy.files import DEPLOY, rasa_variables

KUBERNETES = DEPLOY / "kubernetes"


def load(name: str) -> Any:
    return yaml.safe_load((KUBERNETES / name).read_text(encoding="utf-8"))


RASA: Dict[str, Any] = load("rasa-values.yaml")
ACTIONS: Dict[str, Any] = load("action-server-values.yaml")


def deploy_file(name: str) -> Any:
    return yaml.safe_load((DEPLOY / name).read_text(encoding="utf-8"))


def env_names(entries: List[Dict[str, Any]]) -> List[str]:
    return [entry["name"] for entry in entries]


def test_the_chart_endpoints_are_deploy_endpoints_yml() -> None:
    endpoints = RASA["applicationSettings"]["endpoints"]
    assert endpoints["additionalEndpoints"] == deploy_file("endpoints.yml")
    # The chart's own stores and action endpoint are off: ours are in additionalEndpoints.
    assert [endpoints[key]["enabled"] for key in ("models", "trackerStore", "lockStore", "eventBroker")] == [
        False,
        False,
        False,
        False,
    ]
    assert RASA["rasa-action-server"] == {"install": False, "external": {"enabled": False}}


def test_the_chart_credentials_are_deploy_credentials_yml() -> None:
    credentials = RASA["applicationSettings"]["credentials"]
    assert credentials["enabled"] is True
    assert credentials["additionalChannelCredentials"] == deploy_file("credentials.yml")


def test_every_variable_the_files_use_is_in_the_pods_environment() -> None:
    used = rasa_variables()
    names = env_names(RASA["extraEnv"])
    assert used <= set(names)
    assert len(names) == len(set(names))
    replica = next(entry for entry in RASA["extraEnv"] if entry["name"] == "REPLICA_NAME")
    assert replica["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.name"}}


def test_the_rasa_pods_run_our_command_with_the_charts_files_and_probes() -> None:
    assert RASA["command"] == ["rasa"]
    args = RASA["args"]
    assert args[0] == "run"
    # Where the chart mounts its ConfigMap (templates/_containers-volumes.yaml).
    assert args[args.index("--endpoints") + 1] == "/app/endpoints.yml"
    assert args[args.index("--credentials") + 1] == "/app/credentials.yml"
    assert "--enable-api" not in args
    assert args[args.index("--port") + 1] == str(RASA["applicationSettings"]["port"]) == "5005"
    assert RASA["livenessProbe"]["httpGet"]["path"] == "/health"
    assert RASA["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert RASA["applicationSettings"]["telemetry"]["enabled"] is False
    (migrate,) = RASA["initContainers"]
    assert migrate["command"] == ["bot", "db", "upgrade"]
    assert migrate["image"].split(":")[0] == RASA["image"]["repository"]


def test_the_action_server_chart_runs_our_action_server_where_rasa_looks_for_it() -> None:
    assert ACTIONS["command"] + ACTIONS["args"] == ["python", "-m", "actions.server", "--port", "5055"]
    assert ACTIONS["applicationSettings"]["port"] == 5055
    assert ACTIONS["image"] == RASA["image"]
    url = next(entry["value"] for entry in RASA["extraEnv"] if entry["name"] == "ACTION_SERVER_URL")
    # Release eore-actions of chart rasa-action-server: its Service, on the chart's port 80.
    assert url == "http://eore-actions-rasa-action-server/webhook"
    assert {"ACTION_SERVER_TOKEN", "PSEUDONYM_KEY", "DATABASE_URL"} <= set(env_names(ACTIONS["extraEnv"]))


def test_haproxy_finds_the_charts_pods_through_the_headless_service() -> None:
    service, deployment, _ = yaml.safe_load_all((KUBERNETES / "haproxy.yaml").read_text(encoding="utf-8"))
    assert service["spec"]["clusterIP"] == "None"
    # The rasa chart's selector labels for release "eore" (rasa-common.labels.selectorLabels).
    assert service["spec"]["selector"] == {
        "app.kubernetes.io/name": "rasa",
        "app.kubernetes.io/instance": "eore",
    }
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    environment = {entry["name"]: entry["value"] for entry in container["env"]}
    name = service["metadata"]["name"]
    namespace = service["metadata"]["namespace"]
    port = service["spec"]["ports"][0]["port"]
    assert environment["RASA_DNS"] == f"{name}.{namespace}.svc.cluster.local:{port}"
    assert port == int(RASA["applicationSettings"]["port"])
    assert deployment["spec"]["replicas"] == 1
