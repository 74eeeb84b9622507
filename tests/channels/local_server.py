"""An aiohttp server on 127.0.0.1 in a background thread, for fakes of outside APIs."""

from __future__ import annotations

import abc
import asyncio
import threading
from typing import Optional, TypeVar

from aiohttp import web

from bot.serve import free_port

Server = TypeVar("Server", bound="LocalServer")


class LocalServer(abc.ABC):
    """Start and stop from synchronous tests; subclasses add their routes."""

    def __init__(self) -> None:
        self.port = free_port()
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._runner: Optional[web.AppRunner] = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @abc.abstractmethod
    def add_routes(self, app: web.Application) -> None:
        """Register the fake API's handlers."""

    def start(self: Server) -> Server:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        return self

    def stop(self) -> None:
        if self._runner:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)

    async def _start(self) -> None:
        app = web.Application()
        self.add_routes(app)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
