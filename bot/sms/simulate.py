"""`bot sms simulate +85512345678`: the assistant as a basic phone sees it, in the terminal.

Runs the model in-process through the real SMS channel logic (keywords, STOP,
numbered menus, segment budget); only the gateway is replaced by the screen.
State (conversation, opt-out, menus) is thrown away at the end, and so is
everything the actions write (referrals, hazard reports): the simulation runs
its own action server on a throwaway database, never the project's var/app.db.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Callable, Mapping, Optional

import aiohttp

from bot.channels.sms import SmsInput, SmsServices, e164
from bot.paths import ProjectPaths
from bot.sms import DEFAULT_SEGMENT_BUDGET
from bot.sms.gateways import FormFields, Gateway, InboundSms
from bot.sms.segments import count_segments
from bot.store.db import Database
from bot.store.pseudonym import Pseudonymizer


class Screen(Gateway):
    """A gateway that prints each SMS with what it costs."""

    name = "sms_simulator"

    def __init__(self, write: Callable[[str], Any] = print) -> None:
        self.write = write

    def authentic(self, url: str, fields: FormFields, headers: Mapping[str, str]) -> bool:
        """Everything typed at the terminal is authentic."""
        return True

    def parse(self, form: Mapping[str, str]) -> InboundSms:
        """Not used: the simulator builds messages itself."""
        raise NotImplementedError

    def send_request(self, to: str, body: str) -> tuple[str, dict[str, str], dict[str, str]]:
        """Not used: nothing goes over the network."""
        raise NotImplementedError

    async def send(self, session: aiohttp.ClientSession, to: str, body: str) -> None:
        """Show the SMS and its segment count."""
        cost = count_segments(body)
        plural = "s" if cost.segments > 1 else ""
        self.write(f"--- SMS to {to}: {cost.segments} segment{plural} ({cost.encoding}, {cost.units} units)")
        self.write(body)


class SimulatedSms(SmsInput):
    """The SMS channel with the screen as its gateway."""

    gateway_name = Screen.name


def simulation_services(paths: ProjectPaths, folder: Path) -> SmsServices:
    """Throwaway SMS state in `folder`; profiles, keywords and responses from the project's content."""
    database = Database.from_url(f"sqlite:///{folder / 'sms.db'}").migrate()
    return SmsServices.for_project(paths, database, Pseudonymizer(b"simulation-only-key-not-secret"))


def start_action_server(paths: ProjectPaths, folder: Path) -> tuple[subprocess.Popen[bytes], int]:
    """An action server whose app database is `folder`/app.db; returns it and its port."""
    # Imported when run: the simulator is the only SMS code that starts servers.
    from bot.serve import ServerSettings, action_server_command, free_port, wait_until_up
    from bot.training import rasa_environment

    port = free_port()
    env = {**rasa_environment(), "DATABASE_URL": f"sqlite:///{folder / 'app.db'}"}
    env.setdefault("PYTHONPATH", os.environ.get("PYTHONPATH", ""))
    process = subprocess.Popen(
        action_server_command(ServerSettings(actions_port=port)), cwd=paths.root, env=env
    )
    wait_until_up(f"http://localhost:{port}/health", process, 120)
    return process, port


async def simulate(
    paths: ProjectPaths,
    model: Path,
    number: str,
    endpoints: Path,
    read: Callable[[str], str] = input,
    write: Callable[[str], Any] = print,
    budget: int = DEFAULT_SEGMENT_BUDGET,
) -> int:
    """Read lines as SMS from `number` until EOF or /quit; print the replies.

    `endpoints` gives the NLG; the actions always run on a throwaway action server.
    """
    # Imported when run: Rasa takes seconds to import.
    from rasa.core.agent import load_agent
    from rasa.core.utils import AvailableEndpoints
    from rasa.utils.endpoints import EndpointConfig

    from bot.serve import stop

    sender = e164(number)
    if sender is None:
        write(f"{number!r} is not a valid phone number (use the international form, e.g. +85512345678)")
        return 2
    available = AvailableEndpoints.read_endpoints(str(endpoints))
    available.tracker_store = None  # in memory: the simulation leaves no conversation behind
    with tempfile.TemporaryDirectory() as folder:
        actions, port = start_action_server(paths, Path(folder))
        try:
            token = available.action.token if available.action else None  # the one the action server got
            available.action = EndpointConfig(url=f"http://localhost:{port}/webhook", token=token)
            agent = await load_agent(model_path=str(model), endpoints=available)
            return await _converse(paths, agent, sender, Path(folder), read, write, budget)
        finally:
            stop([actions])


async def _converse(
    paths: ProjectPaths,
    agent: Any,
    sender: str,
    folder: Path,
    read: Callable[[str], str],
    write: Callable[[str], Any],
    budget: int,
) -> int:
    """The terminal loop: each line is an SMS from `sender`."""
    channel = SimulatedSms(Screen(write), budget, simulation_services(paths, folder))
    write(f"Simulating a phone {sender}. Type messages; /quit or Ctrl-D to stop.")
    count = 0
    try:
        while True:
            try:
                line = read("phone> ")
            except EOFError:
                break
            if line.strip() == "/quit":
                break
            count += 1
            inbound = InboundSms(Screen.name, f"sim-{count}", sender, line)
            await channel.handle(channel.inbox_item(inbound, sender), agent.handle_message, agent)
    finally:
        await channel.close()  # the channel's HTTP session, opened by its first reply
    return 0


def run_simulation(paths: ProjectPaths, model: Path, number: str, endpoints: Optional[Path] = None) -> int:
    """Entry point for the CLI."""
    return asyncio.run(simulate(paths, model, number, endpoints or paths.root / "endpoints.yml"))
