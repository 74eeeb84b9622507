"""`bot chat`: a terminal conversation with the running server's REST channel."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

Post = Callable[[dict[str, Any]], list[dict[str, Any]]]


def rest_poster(url: str, timeout: float = 60.0) -> Post:
    """Build a function that posts one message to Rasa's REST webhook."""

    def post(body: dict[str, Any]) -> list[dict[str, Any]]:
        request = urllib.request.Request(
            f"{url.rstrip('/')}/webhooks/rest/webhook",
            data=json.dumps(body).encode("utf-8"),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return list(json.loads(response.read().decode("utf-8")))

    return post


@dataclass
class ChatSession:
    """One terminal conversation; remembers the last buttons so "2" picks the second."""

    post: Post
    sender: str = field(default_factory=lambda: f"terminal-{uuid.uuid4().hex[:8]}")
    language_hint: Optional[str] = None
    buttons: list[dict[str, Any]] = field(default_factory=list)

    def to_message(self, typed: str) -> str:
        """A number chooses a button of the last menu; anything else is sent as typed."""
        choice = typed.strip()
        if choice.isdigit() and 1 <= int(choice) <= len(self.buttons):
            return str(self.buttons[int(choice) - 1].get("payload", choice))
        return typed

    def send(self, typed: str) -> list[str]:
        """Send what the person typed and return the lines to print."""
        body: dict[str, Any] = {"sender": self.sender, "message": self.to_message(typed)}
        if self.language_hint:
            body["metadata"] = {"language": self.language_hint}
        replies = self.post(body)
        self.buttons = [b for r in replies for b in r.get("buttons") or []]
        return format_replies(replies)


def format_replies(replies: list[dict[str, Any]]) -> list[str]:
    """Texts, then buttons as numbered choices, as a basic phone would show them."""
    lines: list[str] = []
    number = 0
    for reply in replies:
        if reply.get("text"):
            lines.append(str(reply["text"]))
        for button in reply.get("buttons") or []:
            number += 1
            lines.append(f"  {number}. {button.get('title', '')}")
    return lines


def run_chat(url: str, language_hint: Optional[str] = None) -> int:
    """Interactive loop until EOF or Ctrl-C."""
    session = ChatSession(rest_poster(url), language_hint=language_hint)
    print(f"Talking to {url} as {session.sender}. Type a message, a number to choose, Ctrl-D to quit.")
    while True:
        try:
            typed = input("> ")
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if not typed.strip():
            continue
        try:
            for line in session.send(typed):
                print(line)
        except (urllib.error.URLError, OSError, ValueError) as error:
            print(f"[cannot reach the assistant at {url}: {error}] Is `make run` running?")
