"""The warning-signs lesson on Telegram shows its pictures (issue 14, "Pictures"): each picture the
country profile lists is sent with sendPhoto, captioned with its alt text in the person's language,
before the card's text; a picture whose PNG was not built is left out and the lesson goes on."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest

from bot.channels.telegram import TelegramSender, build_bot
from bot.channels.telegram_limits import CallbackPayloads, RateLimiter
from bot.content.pictures import PictureFiles, alt_key
from bot.nlg import ResponseContext
from tests.assistant import Webhook, at_least, new_chat_id, wait_for
from tests.channels.fake_telegram import FakeTelegram
from tests.servers import Shared

LESSON = ("utter_lesson_signs_1", "utter_lesson_signs_2", "utter_lesson_signs_3")
# The profiles' pictures, card by card (content/countries/*.yml, warning_pictures).
PICTURES: dict[str, tuple[list[str], list[str], list[str]]] = {
    "ukraine": (["official_sign"], ["ribbons", "crossed_sticks", "knotted_grass"], []),
    "generic": (["official_sign"], ["stone_pile", "red_stones", "crossed_sticks"], []),
}


@pytest.fixture(scope="module")
def telegram(servers: Shared) -> FakeTelegram:
    return servers.telegram


@pytest.fixture(scope="module")
def pngs(servers: Shared) -> Path:
    """Every picture, drawn into a fresh folder when the servers start (the build step)."""
    return servers.pictures


# ----------------------------------------------------------------- the sender, on its own


def send(telegram: FakeTelegram, folder: Path, chat_id: int, messages: list[dict[str, Any]]) -> int:
    async def run() -> int:
        bot = build_bot("123:TEST", telegram.base_url)
        async with bot:
            sender = TelegramSender(
                bot, RateLimiter(per_chat_interval=0), CallbackPayloads(), PictureFiles(folder)
            )
            parts = sender.parts(messages)
            assert await sender.send_all(chat_id, parts) == len(parts)
            return len(parts)

    return asyncio.run(run())


CARD = {
    "text": "Card text",
    "buttons": [{"title": "Next", "payload": "/next"}],
    "metadata": {
        "pictures": [
            {"name": "official_sign", "alt": "Sign caption"},
            {"name": "red_stones", "alt": "Stones"},
        ]
    },
}


def test_a_missing_png_is_left_out_with_a_warning_and_the_card_is_sent(telegram, pngs, tmp_path, caplog):
    chat_id = new_chat_id()
    (tmp_path / "official_sign.png").write_bytes((pngs / "official_sign.png").read_bytes())  # no red_stones
    with caplog.at_level(logging.WARNING, logger="bot.content.pictures"):
        send(telegram, tmp_path, chat_id, [CARD])
    calls = telegram.sent_with_photos_to(chat_id)
    assert [(m, p.get("caption") or p.get("text")) for m, p in calls] == [
        ("sendPhoto", "Sign caption"),
        ("sendMessage", "Card text"),
    ]
    assert calls[0][1]["photo"]["bytes"] == (pngs / "official_sign.png").read_bytes()
    assert calls[1][1]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "/next"
    assert "Picture red_stones missing" in caplog.text


def test_no_png_at_all_sends_the_text_only(telegram, tmp_path):
    chat_id = new_chat_id()
    send(telegram, tmp_path / "never-built", chat_id, [CARD])
    assert [m for m, _ in telegram.sent_with_photos_to(chat_id)] == ["sendMessage"]


def test_a_picture_is_uploaded_once_then_sent_by_its_file_id(telegram, pngs):
    chat_id = new_chat_id()
    send(telegram, pngs, chat_id, [CARD, CARD])
    photos = [p["photo"] for m, p in telegram.sent_with_photos_to(chat_id) if m == "sendPhoto"]
    assert [isinstance(p, dict) for p in photos] == [True, True, False, False]
    official = next(i for i, data in telegram.uploads.items() if data == photos[0]["bytes"])
    stones = next(i for i, data in telegram.uploads.items() if data == photos[1]["bytes"])
    assert photos[2:] == [official, stones]


# ----------------------------------------------------------------- through the real server


@pytest.fixture(scope="module")
def webhook(servers: Shared) -> Webhook:
    return servers.webhook


def after(telegram: FakeTelegram, chat_id: int, seen: int, count: int) -> list[tuple[str, dict[str, Any]]]:
    """The next `count` sendMessage/sendPhoto calls to the chat after the first `seen`."""
    calls = wait_for(at_least(seen + count, lambda: telegram.sent_with_photos_to(chat_id)))
    return calls[seen:]


# Captions pinned in each language (the official sign's alt text), as the catalogs have them.
OFFICIAL_CAPTION = {
    "en": "Official sign: a red triangle with a skull and crossbones. It means danger, mines. Keep away.",
    "uk": "Офіційний знак: червоний трикутник із черепом і кістками. "
    "Він означає: небезпека, міни. Тримайтеся далі.",
    "ar": "علامة رسمية: مثلث أحمر عليه جمجمة وعظمتان متقاطعتان. معناها: خطر، ألغام. ابتعد عن المكان.",
    "km": "ស្លាកសញ្ញាផ្លូវការ៖ ត្រីកោណពណ៌ក្រហម មានរូបលលាដ៍ក្បាលខ្មោច និងឆ្អឹងខ្វែងគ្នា។ មានន័យថា គ្រោះថ្នាក់ មីន។ ត្រូវនៅឱ្យឆ្ងាយ។",
}


@pytest.mark.server
@pytest.mark.parametrize("country", sorted(PICTURES))
@pytest.mark.parametrize("language", ["en", "uk", "ar", "km"])
def test_the_signs_lesson_shows_the_profiles_pictures_with_captions_in_the_language(
    webhook, telegram, pngs, expected, language, country
):
    chat_id = new_chat_id()
    context = ResponseContext(language, expected.profile(country))
    webhook.press(chat_id, f'/set_language{{"language": "{language}"}}')
    webhook.press(chat_id, f'/set_country{{"country": "{country}"}}')
    seen = len(after(telegram, chat_id, 0, 2))  # "OK: <language>" and "OK: <country>"
    payloads = ["/ask_warning_signs", "/next", "/next"]
    for key, payload, pictures in zip(LESSON, payloads, PICTURES[country], strict=True):
        webhook.press(chat_id, payload)
        calls = after(telegram, chat_id, seen, len(pictures) + 1)
        seen += len(calls)
        card = expected.render(key, context, "telegram", {})
        assert card is not None
        captions = [expected.render(alt_key(name), context, None, {})["text"] for name in pictures]
        assert [(m, p.get("caption", p.get("text"))) for m, p in calls] == [
            *[("sendPhoto", caption) for caption in captions],
            ("sendMessage", card["text"]),
        ]
        for name, (_, params) in zip(pictures, calls[:-1], strict=True):
            photo = params["photo"]
            uploaded = photo["bytes"] if isinstance(photo, dict) else telegram.uploads[photo]
            assert uploaded == (pngs / f"{name}.png").read_bytes()
        titles = [row[0]["text"] for row in calls[-1][1]["reply_markup"]["inline_keyboard"]]
        assert titles == [button["title"] for button in card["buttons"]]
    first_card_calls = telegram.sent_with_photos_to(chat_id)[2]
    assert first_card_calls == ("sendPhoto", first_card_calls[1])
    assert first_card_calls[1]["caption"] == OFFICIAL_CAPTION[language]
    assert telegram.sent_with_photos_to(chat_id)[seen:] == []  # nothing else was sent
