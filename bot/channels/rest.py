"""The REST channel (POST /webhooks/rest/webhook), hardened against hostile bodies.

Rasa's RestInput answers 500 to an empty or `null` body, passes any sender id
(a lone surrogate once stopped the whole server in the tracker store), any
length of text (1 MB took 48 s and stalled every channel) and typed Rasa
payloads (`/restart`) straight to the processor, and logs the text at ERROR.
This one reads at most `MAX_BODY_BYTES`, answers 4xx with a JSON reason for
every malformed body, cleans the sender and caps and cleans the text with the
shared sanitiser (bot.channels.inbound), and lets a typed "/..." through only
when a button offers that payload (`bot chat` sends button payloads as text).
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Mapping, Optional

import rasa.utils.endpoints
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import BaseHTTPResponse, HTTPResponse, ResponseStream

from bot.channels.inbound import MAX_TEXT_CHARS, PayloadGate, clean_sender, clean_text
from bot.channels.support import SenderOrder
from bot.paths import project_paths

logger = logging.getLogger(__name__)

# The balancer's per-conversation message number (deploy/haproxy/haproxy.cfg).
SEQUENCE_HEADER = "X-Sender-Seq"
# A long paste (1 MB) is still answered, cut to MAX_TEXT_CHARS; a bigger body is
# no message and is refused (413) before it is read, let alone parsed.
MAX_BODY_BYTES = 2 * 1024 * 1024
# Metadata is stored with every message and read again on every later turn.
MAX_METADATA_CHARS = 4096
# Only this much of a text is sanitised: the cap keeps far less, and sanitising
# a whole megabyte would hold the event loop for every other conversation.
_SANITISED_CHARS = 4 * MAX_TEXT_CHARS

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


class BadRequestError(ValueError):
    """A body that is not a REST message; its text is the reason given to the client."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class RestMessage:
    """What a REST body asks Rasa to handle, cleaned."""

    sender: str
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)


def parse_body(raw: bytes, gate: PayloadGate) -> RestMessage:
    """The message in a REST body, or BadRequestError saying why it is not one."""
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):  # not UTF-8 / not JSON / nested too deep
        raise BadRequestError("body is not a JSON object") from None
    if not isinstance(body, dict):
        raise BadRequestError("body is not a JSON object")
    sender = clean_sender(body.get("sender"))
    if sender is None:
        raise BadRequestError("sender must be a non-empty string or a number")
    message = body.get("message")
    if not isinstance(message, str):
        raise BadRequestError("message must be a string")
    text = gate.admit(clean_text(message[:_SANITISED_CHARS]))
    return RestMessage(sender, text, parse_metadata(body.get("metadata")))


def parse_metadata(value: object) -> dict[str, Any]:
    """Metadata as stored: a small JSON object with clean strings, or BadRequestError."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadRequestError("metadata must be a JSON object")
    if len(json.dumps(value)) > MAX_METADATA_CHARS:
        raise BadRequestError(f"metadata is longer than {MAX_METADATA_CHARS} characters")
    cleaned = _clean_json(value)
    return cleaned if isinstance(cleaned, dict) else {}


def _clean_json(value: Any) -> Any:
    """Strings (keys too) without control or surrogate characters, whatever the nesting."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, Mapping):
        return {clean_text(str(k)): _clean_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean_json(v) for v in value]
    return value


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The request body, or BadRequestError (413) as soon as it is known to exceed `limit`."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BadRequestError(f"body is larger than {limit} bytes", 413)
    chunks: list[bytes] = []
    size = 0
    while (chunk := await request.stream.read()) is not None:  # type: ignore[union-attr]
        size += len(chunk)
        if size > limit:  # chunked bodies declare no length
            raise BadRequestError(f"body is larger than {limit} bytes", 413)
        chunks.append(chunk)
    return b"".join(chunks)


def sequence_number(request: Request) -> Optional[int]:
    """The balancer's number of this message in its conversation (X-Sender-Seq), if any."""
    raw = request.headers.get(SEQUENCE_HEADER, "")
    return int(raw) if raw.isdigit() and len(raw) < 12 else None


class RestInput(RasaRestInput):
    """Rasa's REST channel at the same URL, with one cap, one sanitiser and 4xx for bad bodies."""

    def __init__(self, gate: PayloadGate) -> None:
        self.gate = gate
        # One turn at a time per sender, in the order the balancer numbered them (X-Sender-Seq,
        # deploy/haproxy), else in arrival order: messages sent a few milliseconds apart are
        # understood in the order they were sent, not in the order their turns happen to
        # reach Rasa's lock store. The balancer routes a sender to one replica.
        self._senders = SenderOrder()

    @classmethod
    def name(cls) -> str:
        """Same name, so the same URL, as Rasa's channel: `bot chat` and clients keep working."""
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[dict[str, Any]]) -> RestInput:
        """Factory: the payload gate from the project's domain."""
        return cls(PayloadGate.for_project(project_paths()))

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        """GET / (health) and POST /webhook."""
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        # stream=True: the body is read here, within MAX_BODY_BYTES, not by Sanic up to 100 MB.
        @webhook.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse | ResponseStream:
            try:
                message = parse_body(await read_body(request), self.gate)
            except BadRequestError as refused:
                logger.info("REST request refused: %s", refused.reason)
                return response.json({"error": refused.reason}, status=refused.status)
            if rasa.utils.endpoints.bool_arg(request, "stream", default=False):
                stream = self.stream_response(
                    on_new_message, message.text, message.sender, self.name(), message.metadata
                )

                # Rasa's streamer returns an Awaitable; Sanic's signature wants a coroutine function.
                async def send(out: BaseHTTPResponse | ResponseStream) -> None:
                    await stream(out)

                return response.stream(send, content_type="text/event-stream")
            async with self._senders.turn(message.sender, sequence_number(request)):
                return await self._answer(on_new_message, message)

        return webhook

    async def _answer(self, on_new_message: OnNewMessage, message: RestMessage) -> HTTPResponse:
        collector = CollectingOutputChannel()
        try:
            await on_new_message(
                UserMessage(
                    message.text,
                    collector,
                    message.sender,
                    input_channel=self.name(),
                    metadata=message.metadata,
                )
            )
        except asyncio.CancelledError:
            logger.warning("REST message cancelled before it was answered")
            raise
        except Exception as error:
            # Never the text at ERROR (it is the person's); the traceback only at DEBUG.
            logger.error("REST message could not be processed: %s", type(error).__name__)
            logger.debug("REST message failure", exc_info=True)
            return response.json({"error": "the message could not be processed"}, status=500)
        return response.json(collector.messages)
