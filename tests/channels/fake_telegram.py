"""A local fake of the Telegram Bot API: records calls, can answer 429 on demand."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any, Callable

from aiohttp import web

from tests.channels.local_server import LocalServer


class FakeTelegram(LocalServer):
    """Serves /bot<token>/<method> on 127.0.0.1 in a background thread."""

    def __init__(self, username: str = "test_bot") -> None:
        super().__init__()
        self.username = username
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.rate_limit_next = 0  # how many next sendMessage calls get a 429
        self._message_id = 0
        self.pending_updates: list[dict[str, Any]] = []  # served by getUpdates (polling mode)

    @property
    def base_url(self) -> str:
        return f"{self.url}/bot"

    def add_routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/bot{token}/{method}", self._handle)

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params: dict[str, Any] = {}
        if request.content_type == "application/json":
            params = await request.json()
        elif request.can_read_body:
            form = await request.post()
            params = {k: _maybe_json(str(v)) for k, v in form.items()}
        if method == "getUpdates" and not any(
            u["update_id"] >= int(params.get("offset") or 0) for u in self.pending_updates
        ):
            await asyncio.sleep(0.2)  # long polling: an empty answer only after a while
        with self._lock:
            if method == "sendMessage" and self.rate_limit_next > 0:
                self.rate_limit_next -= 1
                self.calls.append(("sendMessage:429", params))
                return web.json_response(
                    {
                        "ok": False,
                        "error_code": 429,
                        "description": "Too Many Requests: retry after 1",
                        "parameters": {"retry_after": 1},
                    },
                    status=429,
                )
            self.calls.append((method, params))
            self._message_id += 1
            message_id = self._message_id
        return web.json_response({"ok": True, "result": self._result(method, params, message_id)})

    def _result(self, method: str, params: dict[str, Any], message_id: int) -> Any:
        if method == "getUpdates":
            offset = int(params.get("offset") or 0)
            return [u for u in self.pending_updates if u["update_id"] >= offset]
        if method == "getMe":
            return {"id": 42, "is_bot": True, "first_name": "Test", "username": self.username}
        if method == "sendMessage":
            return {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": int(params.get("chat_id", 0)), "type": "private"},
                "text": params.get("text", ""),
            }
        return True

    def sent_to(self, chat_id: int) -> list[dict[str, Any]]:
        with self._lock:
            return [p for m, p in self.calls if m == "sendMessage" and int(p.get("chat_id", 0)) == chat_id]

    def calls_of(self, method: str) -> list[dict[str, Any]]:
        with self._lock:
            return [p for m, p in self.calls if m == method]


def _maybe_json(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


def wait_for(condition: Callable[[], Any], timeout: float = 60.0, interval: float = 0.05) -> Any:
    """Poll `condition` until it returns something truthy (no fixed sleeps)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError("condition not met in time")
