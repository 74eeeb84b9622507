"""Train the Rasa model only when its inputs changed (a content fingerprint)."""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import secrets
import subprocess
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path
from typing import Sequence

import yaml

from bot.paths import ProjectPaths
from bot.settings import ACTION_SERVER_TOKEN_ENV

logger = logging.getLogger(__name__)

# "2": the custom components' code joined the fingerprint.
FINGERPRINT_VERSION = "2"
# The custom NLU components and policies (config.yml names them): their code shapes the model.
COMPONENT_CODE = (Path(__file__).parent / "nlu", Path(__file__).parent / "policies")


def _domain_without_wording(domain_file: Path) -> str:
    """The domain with response texts left out: wording changes need no retraining."""
    data = yaml.safe_load(domain_file.read_text(encoding="utf-8")) or {}
    data["responses"] = sorted((data.get("responses") or {}).keys())
    return json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)


def fingerprint(paths: ProjectPaths, code: Sequence[Path] = COMPONENT_CODE) -> str:
    """Hash of everything training depends on: config, data, domain structure, the custom
    components' code (the `code` folders' *.py), Rasa version."""
    digest = hashlib.sha256()
    digest.update(f"{FINGERPRINT_VERSION}|rasa={version('rasa')}|".encode())
    digest.update(paths.config.read_bytes())
    digest.update(_domain_without_wording(paths.domain).encode())
    for file in sorted(paths.data.rglob("*.yml")):
        digest.update(str(file.relative_to(paths.root)).encode())
        digest.update(file.read_bytes())
    for folder in code:
        for file in sorted(folder.glob("*.py")):
            # Named relative to the folder's parent: the same code in another checkout hashes the same.
            digest.update(f"{folder.name}/{file.name}".encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def model_path(paths: ProjectPaths) -> Path:
    """Where the model for the current inputs is (or will be) stored."""
    return paths.models / f"{fingerprint(paths)}.tar.gz"


MAX_REQUEST_BYTES = 4 * 1024 * 1024


def rasa_environment() -> dict[str, str]:
    """Environment for Rasa subprocesses: telemetry always off, request bodies capped, and an
    action server token (endpoints.yml's ${ACTION_SERVER_TOKEN}) made for this run when none is set.

    Give the same environment to the action server and the Rasa server that calls it. In
    production the settings refuse to start without a token, so none is made up there.
    """
    env = dict(os.environ)
    if not env.get(ACTION_SERVER_TOKEN_ENV, "").strip():
        env[ACTION_SERVER_TOKEN_ENV] = secrets.token_urlsafe(32)
    env["RASA_TELEMETRY_ENABLED"] = "false"
    # Sanic's own cap for every route (100 MB by default): no webhook body comes near 4 MiB.
    env.setdefault("SANIC_REQUEST_MAX_SIZE", str(MAX_REQUEST_BYTES))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def ensure_model(paths: ProjectPaths, force: bool = False) -> Path:
    """Return the current model, training it first if data, config or domain changed.

    Safe when several processes ask at once (test workers, `bot serve` beside `make test`):
    one trains under a lock while the others wait, and the model appears under its name only
    when complete, so nobody loads a half-written archive.
    """
    target = model_path(paths)
    if target.exists() and not force:
        logger.info("Model up to date: %s", target)
        return target
    paths.models.mkdir(parents=True, exist_ok=True)
    with (paths.models / ".train.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if target.exists() and not force:  # trained by whoever held the lock before us
            return target
        with tempfile.TemporaryDirectory(dir=paths.models, prefix=".training-") as scratch:
            _train(paths, Path(scratch), target.name.removesuffix(".tar.gz"))
            built = Path(scratch) / target.name
            if not built.exists():
                raise RuntimeError(f"rasa train finished but {built} is missing")
            os.replace(built, target)
    return target


def _train(paths: ProjectPaths, out: Path, name: str) -> None:
    """Run `rasa train` in a child process, writing `out/name.tar.gz`."""
    command = [
        sys.executable,
        "-m",
        "rasa",
        "train",
        "--config",
        str(paths.config),
        "--domain",
        str(paths.domain),
        "--data",
        str(paths.data),
        "--out",
        str(out),
        "--fixed-model-name",
        name,
    ]
    subprocess.run(command, check=True, cwd=paths.root, env=rasa_environment())
