"""The e-mail sender of partner notifications against a local SMTP server: the mail names the
referral in its subject and carries the payload; a refused recipient is a refusal (failed at
once), a server that is not there is a failure to retry."""

from __future__ import annotations

import asyncio
import email
import json
import socketserver
import threading
from dataclasses import dataclass, field
from email.message import Message
from typing import Iterator

import pytest

from bot.outreach.senders import EmailOutreach, NotSentError, RefusedError
from bot.serve import free_port

REFUSED = "nobody@partner.example.org"
PAYLOAD = {
    "subject": "Referral 7KQ4XH: new",
    "event": "referral.new",
    "reference": "7KQ4XH",
    "region": "kharkiv",
}


@dataclass
class Mailbox:
    """What the SMTP server accepted."""

    envelopes: list[tuple[str, list[str], Message]] = field(default_factory=list)


class _Smtp(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: EHLO, MAIL, RCPT (refusing REFUSED), DATA, QUIT."""

    mailbox: Mailbox

    def reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode("ascii"))

    def handle(self) -> None:
        self.reply("220 test SMTP")
        sender, recipients = "", list[str]()
        while True:
            line = self.rfile.readline().decode("utf-8").rstrip("\r\n")
            verb = line[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 test")
            elif verb == "MAIL":
                sender, recipients = line.split(":", 1)[1].strip(" <>"), list[str]()
                self.reply("250 OK")
            elif verb == "RCPT":
                recipient = line.split(":", 1)[1].strip(" <>")
                if recipient == REFUSED:
                    self.reply("550 no such user")
                else:
                    recipients.append(recipient)
                    self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 go ahead")
                data = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk
                self.mailbox.envelopes.append((sender, recipients, email.message_from_bytes(data)))
                self.reply("250 queued")
            elif verb == "QUIT" or not line:
                self.reply("221 bye")
                return
            else:
                self.reply("250 OK")


@pytest.fixture()
def smtp() -> Iterator[tuple[int, Mailbox]]:
    mailbox = Mailbox()
    handler = type("Handler", (_Smtp,), {"mailbox": mailbox})
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], mailbox
    finally:
        server.shutdown()
        server.server_close()


def test_a_partner_notification_goes_by_mail_with_the_referral_as_subject(smtp: tuple[int, Mailbox]):
    port, mailbox = smtp
    sender = EmailOutreach("127.0.0.1", port, "eore@example.org")
    asyncio.run(sender.send("intake@partner.example.org", json.dumps(PAYLOAD)))
    ((envelope_from, to, mail),) = mailbox.envelopes
    assert (envelope_from, to) == ("eore@example.org", ["intake@partner.example.org"])
    assert (mail["From"], mail["To"], mail["Subject"]) == (
        "eore@example.org",
        "intake@partner.example.org",
        "Referral 7KQ4XH: new",
    )
    assert json.loads(mail.get_payload(decode=True).decode("utf-8")) == PAYLOAD


def test_a_refused_recipient_is_a_refusal_and_no_server_is_a_failure_to_retry(smtp: tuple[int, Mailbox]):
    port, mailbox = smtp
    with pytest.raises(RefusedError, match="email: recipient refused"):
        asyncio.run(EmailOutreach("127.0.0.1", port, "eore@example.org").send(REFUSED, json.dumps(PAYLOAD)))
    assert mailbox.envelopes == []
    closed = free_port()  # nothing listens there
    with pytest.raises(NotSentError, match="email: ConnectionRefusedError"):
        asyncio.run(
            EmailOutreach("127.0.0.1", closed, "eore@example.org").send("a@b.org", json.dumps(PAYLOAD))
        )
