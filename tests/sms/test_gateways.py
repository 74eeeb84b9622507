"""Gateway adapters: webhook authenticity, parsing, send requests."""

import pytest
from twilio.request_validator import RequestValidator

from bot.sms.gateways import AfricasTalking, BadWebhookError, Twilio, gateway_from_credentials

URL = "https://bot.example.org/webhooks/twilio/webhook"


def twilio() -> Twilio:
    return Twilio("ACsid", "token-123", "+15550001111", URL, "http://127.0.0.1:9")


def test_twilio_accepts_exactly_what_twilio_signs():
    form = {"From": "+85512345678", "Body": "hello", "MessageSid": "SM1"}
    signature = RequestValidator("token-123").compute_signature(URL, form)
    gateway = twilio()
    fields = list(form.items())
    # The server may see another host (behind a proxy): the configured public URL is what counts.
    assert gateway.authentic(
        "http://10.0.0.5:5005/webhooks/twilio/webhook", fields, {"X-Twilio-Signature": signature}
    )
    changed = list({**form, "Body": "changed"}.items())
    assert not gateway.authentic(URL, changed, {"X-Twilio-Signature": signature})
    assert not gateway.authentic(URL, fields, {})


def test_twilio_signature_covers_blank_and_repeated_fields():
    form = {"From": "+573001234567", "Body": "", "MessageSid": "SM1", "FromCity": "", "FromZip": ""}
    signature = RequestValidator("token-123").compute_signature(URL, form)
    fields = list(form.items())
    assert twilio().authentic(URL, fields, {"X-Twilio-Signature": signature})
    # Dropping the blank fields (as Sanic's request.form does) breaks the signature.
    without_blanks = [(k, v) for k, v in fields if v]
    assert not twilio().authentic(URL, without_blanks, {"X-Twilio-Signature": signature})


def test_twilio_parse_requires_from_body_and_sid():
    assert twilio().parse({"From": "+1", "Body": "", "SmsSid": "SM2"}).message_id == "SM2"
    with pytest.raises(BadWebhookError, match="Body"):
        twilio().parse({"From": "+1", "MessageSid": "SM3"})
    with pytest.raises(BadWebhookError, match="MessageSid"):
        twilio().parse({"From": "+1", "Body": "x"})


def test_twilio_send_request_uses_basic_auth_and_service_sid():
    url, headers, fields = twilio().send_request("+855", "hi")
    assert url == "http://127.0.0.1:9/2010-04-01/Accounts/ACsid/Messages.json"
    assert headers["Authorization"].startswith("Basic ")
    assert fields == {"To": "+855", "From": "+15550001111", "Body": "hi"}
    service = Twilio("ACsid", "t" * 10, "MG123", URL)
    assert "MessagingServiceSid" in service.send_request("+855", "hi")[2]


def test_africastalking_key_in_query_or_path():
    gateway = AfricasTalking("sandbox", "api", "k" * 20)
    assert gateway.authentic(f"https://h/webhooks/africastalking/webhook?key={'k' * 20}", [], {})
    assert gateway.authentic(f"https://h/webhooks/africastalking/webhook/{'k' * 20}", [], {})
    assert not gateway.authentic("https://h/webhooks/africastalking/webhook?key=nope", [], {})
    assert not gateway.authentic("https://h/webhooks/africastalking/webhook", [], {})


def test_africastalking_refuses_a_short_key():
    with pytest.raises(ValueError, match="must be at least 16 characters"):
        AfricasTalking("sandbox", "api", "short")


def test_credentials_name_what_is_missing():
    with pytest.raises(ValueError, match="auth_token"):
        gateway_from_credentials("twilio", {"account_sid": "AC", "from_number": "+1", "public_url": URL})
    built = gateway_from_credentials(
        "africastalking", {"username": "u", "api_key": "a", "webhook_key": "w" * 16}
    )
    assert built.name == "africastalking"
