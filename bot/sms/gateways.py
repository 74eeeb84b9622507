"""One small adapter per SMS gateway: read its webhook, check it came from the gateway, send.

Nothing here knows about Rasa; `bot.channels.sms` puts the pieces together.
"""

from __future__ import annotations

import abc
import asyncio
import hmac
import logging
from dataclasses import dataclass
from typing import Mapping, Optional, Sequence

import aiohttp
from twilio.request_validator import RequestValidator

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
FIRST_BACKOFF = 0.5
MAX_BACKOFF = 8.0
SEND_TIMEOUT = 15.0


class SendRefusedError(Exception):
    """The gateway refused a message for good (4xx): retrying would not help."""


@dataclass(frozen=True)
class InboundSms:
    """One SMS as a gateway delivered it."""

    gateway: str
    message_id: str
    sender: str
    body: str


class BadWebhookError(ValueError):
    """The webhook request is not a message this gateway would send."""


FormFields = Sequence[tuple[str, str]]


class SignedParams(dict[str, list[str]]):
    """Every field of a form as posted, blank values and repeats kept, as twilio's validator reads them."""

    @classmethod
    def of(cls, fields: FormFields) -> SignedParams:
        """Group `fields` by name, in order."""
        params = cls()
        for name, value in fields:
            params.setdefault(name, []).append(value)
        return params

    def getlist(self, name: str) -> list[str]:
        """All values posted under `name` (RequestValidator.get_values calls this)."""
        return self.get(name, [])


class Gateway(abc.ABC):
    """What the SMS channel needs from a gateway."""

    name: str

    @abc.abstractmethod
    def authentic(self, url: str, fields: FormFields, headers: Mapping[str, str]) -> bool:
        """True when the request provably comes from the gateway (`fields`: the raw form, blanks kept)."""

    @abc.abstractmethod
    def parse(self, form: Mapping[str, str]) -> InboundSms:
        """The message in a webhook form; BadWebhookError when fields are missing."""

    @abc.abstractmethod
    def send_request(self, to: str, body: str) -> tuple[str, dict[str, str], dict[str, str]]:
        """URL, headers and form fields of the gateway's send API for one message."""

    async def send(self, session: aiohttp.ClientSession, to: str, body: str) -> None:
        """Send one SMS, retrying network errors, 429 and 5xx with exponential backoff."""
        await self.send_within(session, to, body, MAX_ATTEMPTS)

    async def send_within(self, session: aiohttp.ClientSession, to: str, body: str, attempts: int) -> None:
        """Send one SMS in at most `attempts` tries (1: the caller schedules its own retries)."""
        url, headers, fields = self.send_request(to, body)
        last = ""
        for attempt in range(1, attempts + 1):
            try:
                timeout = aiohttp.ClientTimeout(total=SEND_TIMEOUT)
                async with session.post(url, data=fields, headers=headers, timeout=timeout) as response:
                    if response.status < 300:
                        return
                    if response.status != 429 and response.status < 500:
                        # The gateway's explanation may quote the number: only in debug logs.
                        logger.debug("%s refusal: %s", self.name, (await response.text())[:200])
                        raise SendRefusedError(f"{self.name} refused ({response.status})")
                    last = f"HTTP {response.status}"
                    logger.warning("%s send: HTTP %s (attempt %d)", self.name, response.status, attempt)
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                last = type(error).__name__
                logger.warning("%s send failed (attempt %d): %s", self.name, attempt, error)
            if attempt < attempts:
                await asyncio.sleep(min(FIRST_BACKOFF * 2 ** (attempt - 1), MAX_BACKOFF))
        raise ConnectionError(f"{self.name}: message not delivered after {attempts} attempts ({last})")


def _required(form: Mapping[str, str], *names: str) -> list[str]:
    missing = [n for n in names if n not in form]
    if missing:
        raise BadWebhookError(f"missing field(s): {', '.join(missing)}")
    return [form[n] for n in names]


class Twilio(Gateway):
    """Twilio Programmable Messaging: signed form webhooks, REST send API."""

    name = "twilio"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str,
        public_url: str,
        api_url: str = "https://api.twilio.com",
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.from_number = from_number
        self.public_url = public_url
        self.api_url = api_url.rstrip("/")
        self._validator = RequestValidator(auth_token)

    def authentic(self, url: str, fields: FormFields, headers: Mapping[str, str]) -> bool:
        """Check X-Twilio-Signature against the public URL Twilio was given (not the proxied one).

        Twilio signs every field it posts, empty ones too (FromCity, FromZip... are empty for
        most senders outside the US), so the check must see the raw form, blanks kept.
        """
        signature = headers.get("X-Twilio-Signature", "")
        query = url.partition("?")[2]
        signed_url = self.public_url + ("?" + query if query else "")
        params = SignedParams.of(fields)
        return bool(signature) and bool(self._validator.validate(signed_url, params, signature))

    def parse(self, form: Mapping[str, str]) -> InboundSms:
        """From, Body and MessageSid (SmsSid on older webhooks)."""
        sender, body = _required(form, "From", "Body")
        message_id = form.get("MessageSid") or form.get("SmsSid") or ""
        if not message_id:
            raise BadWebhookError("missing field(s): MessageSid")
        return InboundSms(self.name, message_id, sender, body)

    def send_request(self, to: str, body: str) -> tuple[str, dict[str, str], dict[str, str]]:
        """POST /2010-04-01/Accounts/{sid}/Messages.json with basic auth."""
        url = f"{self.api_url}/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        auth = aiohttp.BasicAuth(self.account_sid, self.auth_token).encode()
        sender_field = "MessagingServiceSid" if self.from_number.startswith("MG") else "From"
        return url, {"Authorization": auth}, {"To": to, sender_field: self.from_number, "Body": body}


class AfricasTalking(Gateway):
    """Africa's Talking: unsigned form webhooks, so a secret key must be in the URL we gave them."""

    name = "africastalking"

    def __init__(
        self,
        username: str,
        api_key: str,
        webhook_key: str,
        sender_id: str = "",
        api_url: str = "https://api.africastalking.com",
    ) -> None:
        if len(webhook_key) < 16:
            raise ValueError("the Africa's Talking webhook key must be at least 16 characters")
        self.username = username
        self.api_key = api_key
        self.webhook_key = webhook_key
        self.sender_id = sender_id
        self.api_url = api_url.rstrip("/")

    def authentic(self, url: str, fields: FormFields, headers: Mapping[str, str]) -> bool:
        """The key must be the `key` query parameter or the last path segment."""
        path, _, query = url.partition("?")
        given = [v for k, _, v in (p.partition("=") for p in query.split("&")) if k == "key"]
        given.append(path.rstrip("/").rsplit("/", 1)[-1])
        expected = self.webhook_key.encode("utf-8")
        return any(hmac.compare_digest(g.encode("utf-8"), expected) for g in given)

    def parse(self, form: Mapping[str, str]) -> InboundSms:
        """from, text and id (to and date are not needed to answer)."""
        sender, body, message_id = _required(form, "from", "text", "id")
        if not message_id:
            raise BadWebhookError("empty field: id")
        return InboundSms(self.name, message_id, sender, body)

    def send_request(self, to: str, body: str) -> tuple[str, dict[str, str], dict[str, str]]:
        """POST /version1/messaging with the apiKey header."""
        fields = {"username": self.username, "to": to, "message": body}
        if self.sender_id:
            fields["from"] = self.sender_id
        headers = {"apiKey": self.api_key, "Accept": "application/json"}
        return f"{self.api_url}/version1/messaging", headers, fields


def gateway_from_credentials(name: str, credentials: Mapping[str, Optional[str]]) -> Gateway:
    """Build the named gateway from its credentials entry; ValueError names what is missing."""

    def need(key: str) -> str:
        value = credentials.get(key)
        if not value:
            raise ValueError(f"{name}: credentials need `{key}`")
        return str(value)

    if name == Twilio.name:
        return Twilio(
            need("account_sid"),
            need("auth_token"),
            need("from_number"),
            need("public_url"),
            str(credentials.get("api_url") or "https://api.twilio.com"),
        )
    if name == AfricasTalking.name:
        return AfricasTalking(
            need("username"),
            need("api_key"),
            need("webhook_key"),
            str(credentials.get("sender_id") or ""),
            str(credentials.get("api_url") or "https://api.africastalking.com"),
        )
    raise ValueError(f"unknown SMS gateway {name!r}")
