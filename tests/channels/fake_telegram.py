"""A local fake of the Telegram Bot API: records calls; can be slow, answer 429, time out or fail."""

from __future__ import annotations

import asyncio
import hashlib
import json
import struct
import time
from collections import Counter
from typing import Any

from aiohttp import web

from tests.assistant import wait_for  # noqa: F401  (its old home; test_telegram.py and test_sms.py import it here)
from tests.channels.local_server import LocalServer

FAILURE_MODES = ("timeout", "500")


class FakeTelegram(LocalServer):
    """Serves /bot<token>/<method> on 127.0.0.1 in a background thread.

    `delay` seconds pass before every answer (like a slow network). `fail_next(n, mode)`
    makes the next n calls (of any method, or of `method`) fail: "500" answers HTTP 500,
    "timeout" holds the request for `hang` seconds (longer than the client waits) and then
    answers 504. A failed call is recorded as "<method>:<mode>", never as a served "<method>".
    """

    def __init__(self, username: str = "test_bot") -> None:
        super().__init__()
        self.username = username
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.rate_limit_next = 0  # how many next sendMessage calls get a 429
        self.delay = 0.0
        self.hang = 5.0
        self._failures: list[tuple[str, str | None]] = []  # (mode, method or None for any)
        self._message_id = 0
        self.pending_updates: list[dict[str, Any]] = []  # served by getUpdates (polling mode)
        # While set, sendMessage requests wait; one whose client goes away meanwhile is not delivered.
        self.hold_sends = False
        self.uploads: dict[str, bytes] = {}  # file_id -> the PNG uploaded with sendPhoto
        self.sent_at: list[
            tuple[float, int]
        ] = []  # (monotonic arrival, chat id) of each delivered sendMessage

    @property
    def base_url(self) -> str:
        return f"{self.url}/bot"

    def fail_next(self, count: int, mode: str = "500", method: str | None = None) -> None:
        """The next `count` calls (of `method`, or of any method) fail in `mode` ("timeout" or "500")."""
        assert mode in FAILURE_MODES
        with self._lock:
            self._failures.extend([(mode, method)] * count)

    def failed_calls(self) -> list[str]:
        """The calls that were made to fail, as "<method>:<mode>", in order."""
        with self._lock:
            return [m for m, _ in self.calls if m.split(":")[-1] in FAILURE_MODES]

    def failures_left(self) -> int:
        with self._lock:
            return len(self._failures)

    def add_routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/bot{token}/{method}", self._handle)

    async def _handle(self, request: web.Request) -> web.Response:
        arrived = time.monotonic()
        method = request.match_info["method"]
        params: dict[str, Any] = {}
        if request.content_type == "application/json":
            params = await request.json()
        elif request.can_read_body:
            form = await request.post()
            params = {
                k: _upload(v) if isinstance(v, web.FileField) else _maybe_json(str(v))
                for k, v in form.items()
            }
        if method == "getUpdates" and not any(
            u["update_id"] >= int(params.get("offset") or 0) for u in self.pending_updates
        ):
            await asyncio.sleep(0.2)  # long polling: an empty answer only after a while
        if self.delay:
            await asyncio.sleep(self.delay)
        if method == "sendMessage":
            while self.hold_sends:
                if request.transport is None or request.transport.is_closing():
                    return web.json_response({"ok": False}, status=499)  # the sender died: not delivered
                await asyncio.sleep(0.02)
        with self._lock:
            failure = self._take_failure(method)
            if failure is not None:
                self.calls.append((f"{method}:{failure}", params))
            elif method == "sendMessage" and self.rate_limit_next > 0:
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
            else:
                self._served(method, params, arrived)
                self._message_id += 1
                message_id = self._message_id
        if failure == "timeout":
            await asyncio.sleep(self.hang)
            return web.json_response(
                {"ok": False, "error_code": 504, "description": "Gateway Timeout"}, status=504
            )
        if failure == "500":
            return web.json_response(
                {"ok": False, "error_code": 500, "description": "Internal Error"}, status=500
            )
        return web.json_response({"ok": True, "result": self._result(method, params, message_id)})

    def _served(self, method: str, params: dict[str, Any], arrived: float) -> None:
        """Record a served call (under the lock); a sendMessage's arrival time too."""
        self.calls.append((method, params))
        if method == "sendMessage":
            self.sent_at.append((arrived, int(params.get("chat_id", 0))))

    def _take_failure(self, method: str) -> str | None:
        for index, (mode, only) in enumerate(self._failures):
            if only is None or only == method:
                del self._failures[index]
                return mode
        return None

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
        if method == "sendPhoto":
            return {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": int(params.get("chat_id", 0)), "type": "private"},
                "caption": params.get("caption", ""),
                "photo": [self._photo_size(params.get("photo"))],
            }
        return True

    def _photo_size(self, photo: Any) -> dict[str, Any]:
        """Telegram's PhotoSize of an uploaded PNG (file_id from its bytes) or of a file_id sent again."""
        if isinstance(photo, dict):  # an upload
            file_id = "photo-" + hashlib.sha256(photo["bytes"]).hexdigest()[:16]
            width, height = struct.unpack(">II", photo["bytes"][16:24])
            self.uploads[file_id] = photo["bytes"]
        else:
            file_id, width, height = str(photo), 0, 0
        return {"file_id": file_id, "file_unique_id": file_id[-8:], "width": width, "height": height}

    def sent_to(self, chat_id: int) -> list[dict[str, Any]]:
        with self._lock:
            return [p for m, p in self.calls if m == "sendMessage" and int(p.get("chat_id", 0)) == chat_id]

    def sent_with_photos_to(self, chat_id: int) -> list[tuple[str, dict[str, Any]]]:
        """sendMessage and sendPhoto calls to `chat_id`, in order, as (method, params)."""
        with self._lock:
            return [
                (m, p)
                for m, p in self.calls
                if m in ("sendMessage", "sendPhoto") and int(p.get("chat_id", 0)) == chat_id
            ]

    def calls_of(self, method: str) -> list[dict[str, Any]]:
        with self._lock:
            return [p for m, p in self.calls if m == method]

    def sends_per_chat(self) -> Counter[int]:
        """How many messages were delivered to each chat."""
        with self._lock:
            return Counter(int(p.get("chat_id", 0)) for m, p in self.calls if m == "sendMessage")


def _upload(field: web.FileField) -> dict[str, Any]:
    """A multipart file (sendPhoto's `photo`): its name, content type and bytes."""
    return {"filename": field.filename, "content_type": field.content_type, "bytes": field.file.read()}


def _maybe_json(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value
