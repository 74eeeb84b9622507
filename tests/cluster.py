"""Rasa replicas behind HAProxy, sharing PostgreSQL and Redis, as deploy/ runs them.

Used by tests/scale/test_cluster.py and bench/load.py --replicas: HAProxy
(deploy/haproxy/haproxy.cfg) in front of N Rasa servers (deploy/endpoints.yml: PostgreSQL
tracker store, Redis lock store) and one action server, with the app database on PostgreSQL
and every channel sending to the given fake Telegram Bot API and SMS gateway.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import sqlalchemy as sa

from bot.content.pictures import render_pictures, sources_dir
from bot.inbox.store import DONE
from bot.paths import project_paths
from bot.serve import (
    ServerSettings,
    action_server_command,
    free_port,
    rasa_server_command,
    stop,
    wait_until_ready,
    wait_until_up,
)
from bot.training import ensure_model, rasa_environment
from tests.channels.fake_sms_gateway import FakeSmsGateway
from tests.channels.fake_telegram import FakeTelegram
from tests.factories import PROJECT_ROOT
from tests.servers import OPS_CHANNEL, import_directory, shared_credentials

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
REDIS_URL = "redis://127.0.0.1:6379/0"


@dataclass
class Cluster:
    """The running cluster: the balancer's URL, each replica's URL and process, the databases."""

    balancer: str
    replicas: list[str]
    processes: list[subprocess.Popen[bytes]]
    app_db: str
    tracker_db: str
    telegram: FakeTelegram
    gateway: FakeSmsGateway
    log: Path

    def query(self, url: str, statement: str, **params: Any) -> list[Any]:
        """Rows of one read-only statement."""
        engine = sa.create_engine(url, future=True)
        try:
            with engine.connect() as connection:
                return list(connection.execute(sa.text(statement), params))
        finally:
            engine.dispose()

    def inbox(self, channel: str, message_ids: list[str]) -> dict[str, tuple[str, str]]:
        """message id -> (status, owner) of these inbox rows."""
        rows = self.query(
            self.app_db,
            "SELECT message_id, status, owner FROM inbox WHERE channel = :c",
            c=channel,
        )
        wanted = set(message_ids)
        return {row[0]: (row[1], row[2] or "") for row in rows if row[0] in wanted}

    def all_done(self, channel: str, message_ids: list[str]) -> bool:
        """True once every one of these rows is answered."""
        rows = self.inbox(channel, message_ids)
        return len(rows) == len(message_ids) and all(status == DONE for status, _ in rows.values())


@contextmanager
def running_cluster(
    folder: Path,
    app_db: str,
    tracker_db: str,
    telegram: FakeTelegram,
    gateway: FakeSmsGateway,
    replicas: int = 2,
    lease_seconds: int = 3,
) -> Iterator[Cluster]:
    """HAProxy + `replicas` Rasa servers + one action server on two empty PostgreSQL databases.

    The app database is migrated and the services directory imported, as the deploy's
    migrate step does; `telegram` and `gateway` must be serving (their URLs go into the
    credentials). Everything is stopped on exit; the output goes to `folder / "servers.log"`.
    """
    if not 1 <= replicas <= 8:  # deploy/haproxy/haproxy.cfg names RASA_1 .. RASA_8
        raise ValueError(f"replicas: 1 to 8, not {replicas}")
    model = ensure_model(project_paths(PROJECT_ROOT))
    with ExitStack() as cleanup:
        import_directory(app_db)
        pictures = folder / "pictures"
        render_pictures(sources_dir(PROJECT_ROOT), pictures)
        credentials = folder / "credentials.yml"
        credentials.write_text(
            shared_credentials(telegram, gateway, pictures) + f"{OPS_CHANNEL}:\n", encoding="utf-8"
        )
        actions_port = free_port()
        ports = [free_port() for _ in range(replicas)]
        env = {
            **rasa_environment(),
            "DATABASE_URL": app_db,
            "PSEUDONYM_KEY": f"cluster-pseudonym-key-{uuid.uuid4().hex}",
            "HAZARD_WEBHOOK_URL": "",
            "TRACKER_DATABASE_URL": tracker_db,
            "REDIS_HOST": "127.0.0.1",
            "REDIS_PORT": "6379",
            "REDIS_DB": "0",
            "REDIS_PASSWORD": "",
            "REDIS_URL": REDIS_URL,
            # An address, not "localhost": aiohttp would resolve the name for every action call.
            "ACTION_SERVER_URL": f"http://127.0.0.1:{actions_port}/webhook",
            "ACTION_SERVER_TOKEN": uuid.uuid4().hex,
            "INBOX_LEASE_SECONDS": str(lease_seconds),
        }
        log = folder / "servers.log"
        output = cleanup.enter_context(log.open("ab"))
        processes: list[subprocess.Popen[bytes]] = []
        cleanup.callback(lambda: stop(processes))
        settings = ServerSettings(port=ports[0], actions_port=actions_port)
        actions = subprocess.Popen(
            action_server_command(settings),
            cwd=PROJECT_ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        processes.append(actions)
        assert wait_until_up(f"http://127.0.0.1:{actions_port}/health", actions, 60), log.read_text()
        for number, port in enumerate(ports, start=1):
            replica = ServerSettings(
                port=port,
                endpoints=str(PROJECT_ROOT / "deploy" / "endpoints.yml"),
                credentials=str(credentials),
            )
            processes.append(
                subprocess.Popen(
                    rasa_server_command(replica, model),
                    cwd=PROJECT_ROOT,
                    env={**env, "REPLICA_NAME": f"rasa-{number}"},
                    stdout=output,
                    stderr=subprocess.STDOUT,
                )
            )
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        rasa = processes[1:]
        for url, process in zip(urls, rasa, strict=True):
            assert wait_until_ready(url, process, 300), log.read_text(errors="replace")[-5000:]
        bind = f"127.0.0.1:{free_port()}"
        balancer_env = {**os.environ, "HAPROXY_BIND": bind}
        balancer_env.update({f"RASA_{n}": f"127.0.0.1:{port}" for n, port in enumerate(ports, start=1)})
        haproxy = subprocess.Popen(
            [HAPROXY, "-db", "-f", str(PROJECT_ROOT / "deploy" / "haproxy" / "haproxy.cfg")],
            env=balancer_env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        processes.append(haproxy)
        balancer = f"http://{bind}"
        assert wait_until_ready(balancer, haproxy, 60), log.read_text(errors="replace")[-3000:]
        yield Cluster(balancer, urls, rasa, app_db, tracker_db, telegram, gateway, log)
