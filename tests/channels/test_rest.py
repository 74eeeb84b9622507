"""REST channel end to end: the real Rasa server with our RestInput, hostile bodies included."""

from __future__ import annotations

import http.client
import json
import urllib.parse
import urllib.request

import pytest

from bot.channels.inbound import MAX_TEXT_CHARS, PayloadGate
from bot.channels.rest import MAX_BODY_BYTES, BadRequestError, parse_body
from bot.nlg import ResponseRenderer
from tests.assistant import new_sender, texts
from tests.factories import GRENADE, tracker

MEGABYTE_OF_TEXT = ("I found a grenade near the road, what do I do? " * 25_000)[:1_000_000]


def say(expected: ResponseRenderer, *keys: str, language: str = "en") -> list[str]:
    context = expected.context(tracker(language=language))
    return [expected.render(key, context, "rest", {})["text"] for key in keys]


@pytest.mark.server
def test_lone_surrogate_sender_then_a_normal_message_are_both_answered(rest, expected):
    # Once one such request stopped the whole server (the tracker store exited).
    cleaned = new_sender()
    first = rest.send(f"{cleaned}\ud800", "hello\ud800")
    assert texts(first) == say(expected, "utter_greet", "utter_help")
    assert [r["recipient_id"] for r in first] == [cleaned, cleaned]  # stored and answered as the cleaned id
    assert rest.stored_texts(cleaned) == ["hello"]
    second = rest.send(new_sender(), "/found_object")
    assert texts(second) == say(expected, "utter_found_object")
    with urllib.request.urlopen(f"{rest.url}/", timeout=10) as response:
        assert response.status == 200


@pytest.mark.server
@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "body is not a JSON object"),
        (b"null", "body is not a JSON object"),
        (b"[]", "body is not a JSON object"),
        (b'"x"', "body is not a JSON object"),
        (b"{not json", "body is not a JSON object"),
        (b"\xff\xfe{}", "body is not a JSON object"),
        (b"[" * 100_000 + b"]" * 100_000, "body is not a JSON object"),
        (b'{"message": 5, "sender": "a"}', "message must be a string"),
        (b'{"sender": "a"}', "message must be a string"),
        (b'{"sender": "a", "message": null}', "message must be a string"),
        (b'{"message": "hi"}', "sender must be a non-empty string or a number"),
        (b'{"sender": "", "message": "hi"}', "sender must be a non-empty string or a number"),
        (b'{"sender": "\\u0000\\ud800", "message": "hi"}', "sender must be a non-empty string or a number"),
        (b'{"sender": ["a"], "message": "hi"}', "sender must be a non-empty string or a number"),
        (b'{"sender": true, "message": "hi"}', "sender must be a non-empty string or a number"),
        (b'{"sender": "a", "message": "hi", "metadata": [1]}', "metadata must be a JSON object"),
        (b'{"sender": "a", "message": "hi", "metadata": "fr"}', "metadata must be a JSON object"),
        (
            b'{"sender": "a", "message": "hi", "metadata": {"x": "' + b"y" * 5000 + b'"}}',
            "metadata is longer than 4096 characters",
        ),
    ],
)
def test_malformed_bodies_are_a_400_with_the_reason(rest, body, reason):
    for query in ("", "?stream=true"):
        assert rest.post(body, query) == (400, {"error": reason})


@pytest.mark.server
def test_a_body_over_the_limit_is_a_413_before_it_is_read(rest):
    body = json.dumps({"sender": new_sender(), "message": "a" * MAX_BODY_BYTES}).encode()
    assert rest.post(body) == (413, {"error": f"body is larger than {MAX_BODY_BYTES} bytes"})
    # Chunked: no length declared, refused as soon as the limit is passed.
    connection = http.client.HTTPConnection(urllib.parse.urlsplit(rest.url).netloc, timeout=30)
    chunks = (body[i : i + 65536] for i in range(0, len(body), 65536))
    connection.request("POST", "/webhooks/rest/webhook", body=chunks, encode_chunked=True)
    response = connection.getresponse()
    assert (response.status, json.loads(response.read())) == (
        413,
        {"error": f"body is larger than {MAX_BODY_BYTES} bytes"},
    )
    connection.close()


@pytest.mark.server
def test_a_megabyte_message_is_answered_and_stored_capped(rest, expected):
    sender = new_sender()
    # Took 36-48 s (beyond this client's 30 s timeout) and stalled every channel.
    assert texts(rest.send(sender, MEGABYTE_OF_TEXT)) == say(expected, "utter_found_object")
    assert rest.stored_texts(sender) == [MEGABYTE_OF_TEXT[:MAX_TEXT_CHARS].strip()]
    assert texts(rest.send(sender, "/found_object")) == say(expected, "utter_found_object")


@pytest.mark.server
def test_a_typed_restart_is_text_not_a_restart(rest, expected):
    sender = new_sender()
    rest.send(sender, '/set_language{"language": "km"}')  # a button of the language menu
    # Rasa would restart the conversation (no answer, the chosen language forgotten).
    typed = rest.send(sender, "/restart")
    assert texts(typed) == say(expected, "utter_help", language="km")
    assert texts(rest.send(new_sender(), "restart")) == say(expected, "utter_help")
    assert texts(rest.send(sender, GRENADE["en"])) == say(expected, "utter_found_object", language="km")
    assert rest.stored_texts(sender) == ['/set_language{"language": "km"}', "restart", GRENADE["en"]]
    # A button's payload is still a payload, streamed or not.
    assert texts(rest.send(new_sender(), "/found_object")) == say(expected, "utter_found_object")
    body = json.dumps({"sender": sender, "message": "/someone_injured"}).encode()
    status, streamed = rest.post(body, "?stream=true")
    assert status == 200 and texts(streamed) == say(expected, "utter_someone_injured", language="km")


@pytest.mark.server
def test_metadata_strings_are_cleaned_and_the_language_hint_kept(rest, expected):
    sender = new_sender()
    replies = rest.send(sender, "/found_object", metadata={"language": "fr\ud800", "note": "a\x00b"})
    assert texts(replies) == say(expected, "utter_found_object", language="fr")


def test_parse_body_cleans_and_caps():
    gate = PayloadGate.from_responses({"r": [{"buttons": [{"payload": "/found_object"}]}]})
    message = parse_body(
        json.dumps(
            {"sender": 12, "message": "\x07 hi\ud800 " + "a" * 10_000, "metadata": {"k": ["\x00v"]}}
        ).encode(),
        gate,
    )
    assert (message.sender, message.text, message.metadata) == (
        "12",
        ("hi " + "a" * 10_000)[:MAX_TEXT_CHARS],
        {"k": ["v"]},
    )
    assert parse_body(b'{"sender": "s", "message": "/restart"}', gate).text == "restart"
    assert parse_body(b'{"sender": "s", "message": "/found_object"}', gate).text == "/found_object"
    with pytest.raises(BadRequestError) as refused:
        parse_body(b'{"sender": "s", "message": "hi", "metadata": 1}', gate)
    assert (refused.value.status, refused.value.reason) == (400, "metadata must be a JSON object")
