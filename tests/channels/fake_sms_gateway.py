"""A local fake of the Twilio and Africa's Talking send APIs: records what was sent, can fail."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any, Optional

from aiohttp import web

from tests.channels.local_server import LocalServer


class FakeSmsGateway(LocalServer):
    """Serves both send APIs on 127.0.0.1 in a background thread."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[dict[str, Any]] = []  # {"api", "to", "body", "headers", "form"}
        self.fail_next = 0  # how many next sends get a 500
        self.failures = 0
        self.refusals: list[str] = []  # the next sends get a 400 with these bodies, in order
        self.requests: list[float] = []  # when each send request arrived (monotonic), failed ones too
        # Once this many send requests were let through, the next ones wait unanswered (`held` is
        # set) until `release()`; one whose client goes away meanwhile (a killed sender) is not delivered.
        self.hold_from: Optional[int] = None
        self.let_through = 0
        self.held = threading.Event()
        self.waiting = 0  # requests being held right now

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", self._twilio)
        app.router.add_post("/version1/messaging", self._africastalking)

    def release(self) -> None:
        """Answer the held sends and hold no more."""
        with self._lock:
            self.hold_from = None

    async def _hold(self, request: web.Request) -> bool:
        """Wait while sends are held; False when the sender went away meanwhile (not delivered)."""
        with self._lock:
            self.requests.append(time.monotonic())
        counted = False
        try:
            while True:
                with self._lock:
                    holding = self.hold_from is not None and self.let_through >= self.hold_from
                    if holding and not counted:
                        self.waiting += 1
                        counted = True
                    if not holding:
                        self.let_through += 1
                        return True
                self.held.set()
                if request.transport is None or request.transport.is_closing():
                    return False
                await asyncio.sleep(0.02)
        finally:
            if counted:
                with self._lock:
                    self.waiting -= 1

    def _should_fail(self) -> bool:
        with self._lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                self.failures += 1
                return True
        return False

    def _record(self, api: str, to: str, body: str, request: web.Request, form: Any) -> None:
        with self._lock:
            self.sent.append(
                {"api": api, "to": to, "body": body, "headers": dict(request.headers), "form": dict(form)}
            )

    def refuse_next(self, count: int, body: str) -> None:
        """The next `count` sends are refused (400) with `body`, as a gateway explains a bad number."""
        with self._lock:
            self.refusals.extend([body] * count)

    def _refusal(self) -> str | None:
        with self._lock:
            return self.refusals.pop(0) if self.refusals else None

    async def _twilio(self, request: web.Request) -> web.Response:
        if not await self._hold(request):
            return web.json_response({"message": "gone"}, status=499)
        refusal = self._refusal()
        if refusal is not None:
            return web.json_response({"code": 21211, "message": refusal}, status=400)
        if self._should_fail():
            return web.json_response({"message": "unavailable"}, status=500)
        form = await request.post()
        if not request.headers.get("Authorization", "").startswith("Basic "):
            return web.json_response({"message": "unauthorised"}, status=401)
        self._record("twilio", str(form["To"]), str(form["Body"]), request, form)
        return web.json_response({"sid": f"SM{len(self.sent):032d}", "status": "queued"}, status=201)

    async def _africastalking(self, request: web.Request) -> web.Response:
        if not await self._hold(request):
            return web.json_response({"message": "gone"}, status=499)
        if self._should_fail():
            return web.json_response({"message": "unavailable"}, status=500)
        form = await request.post()
        if not request.headers.get("apiKey"):
            return web.json_response({"message": "unauthorised"}, status=401)
        self._record("africastalking", str(form["to"]), str(form["message"]), request, form)
        return web.json_response({"SMSMessageData": {"Message": "Sent to 1/1"}}, status=201)

    def bodies_to(self, number: str) -> list[str]:
        """What was sent to `number`, in order."""
        with self._lock:
            return [m["body"] for m in self.sent if m["to"] == number]
