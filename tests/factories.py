"""Builders for trackers, profiles, catalogs and renderers used across tests."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Awaitable, Callable, Optional, Sequence

from aiohttp import web
from babel.messages.catalog import Catalog
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.content.countries import CountryProfile, PhoneNumber
from bot.i18n import Catalogs, LanguageDetector
from bot.nlg import ResponseRenderer
from bot.paths import ProjectPaths

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# "I found something that looks like a grenade", in each language.
GRENADE = {
    "en": "I found something that looks like a grenade",
    "fr": "J'ai trouvé quelque chose qui ressemble à une grenade",
    "es": "Encontré algo que parece una granada",
    "uk": "Я знайшов щось схоже на гранату",
    "ar": "وجدت شيئا يشبه قنبلة يدوية",
    "km": "ខ្ញុំរកឃើញអ្វីមួយដែលមើលទៅដូចគ្រាប់បែកដៃ",
}

DOMAIN = Domain.from_yaml(
    """
version: "3.1"
slots:
  language: {type: text, influence_conversation: false, mappings: [{type: custom}]}
  country: {type: text, influence_conversation: false, mappings: [{type: custom}]}
"""
)


def user(text: str, metadata: Optional[dict[str, Any]] = None) -> UserUttered:
    """A message typed (or a payload sent) by the person."""
    return UserUttered(text, metadata=metadata or {})


def tracker(
    *texts: str,
    language: Optional[str] = None,
    country: Optional[str] = None,
    metadata: Optional[dict[str, Any]] = None,
    sender: str = "test-user",
) -> DialogueStateTracker:
    """A tracker with the given user messages and slots."""
    events: list[Event] = [user(t, metadata) for t in texts]
    if language:
        events.append(SlotSet("language", language))
    if country:
        events.append(SlotSet("country", country))
    return DialogueStateTracker.from_events(sender, events, slots=DOMAIN.slots)


def profile(
    pid: str = "testland",
    iso2: Optional[str] = "UA",
    default_language: str = "uk",
    numbers: Optional[dict[str, str]] = None,
) -> CountryProfile:
    """A country profile; numbers given as {kind: number}."""
    return CountryProfile(
        id=pid,
        name=pid.title(),
        iso2=iso2,
        default_language=default_language,
        languages=(default_language,),
        numbers={k: PhoneNumber(v, verified=False) for k, v in (numbers or {}).items()},
    )


def generic_profile() -> CountryProfile:
    """The profile without numbers."""
    return profile("generic", iso2=None, default_language="en")


def catalog(language: str, translations: dict[str, str]) -> Catalog:
    """An in-memory catalog."""
    result = Catalog(locale=language)
    for msgid, msgstr in translations.items():
        result.add(msgid, msgstr)
    return result


def renderer(
    responses: dict[str, Any],
    translations: Optional[dict[str, dict[str, str]]] = None,
    profiles: Sequence[CountryProfile] = (),
) -> ResponseRenderer:
    """A renderer over test responses, catalogs and profiles (generic always present)."""
    all_profiles = {p.id: p for p in (generic_profile(), *profiles)}
    catalogs = Catalogs({lang: catalog(lang, t) for lang, t in (translations or {}).items()})
    return ResponseRenderer(responses, catalogs, all_profiles, LanguageDetector.offline())


def rest_text(renderer: ResponseRenderer, key: str, language: str, country: str) -> str:
    """The text of response `key` on REST for a conversation in `language` and `country`."""
    rendered = renderer.render(key, renderer.context(tracker(language=language, country=country)), "rest", {})
    assert rendered is not None
    return str(rendered["text"])


# --- hazard reports ---
def hazard_report(**changes: Any) -> Any:
    """A valid HazardReport (a new id and reference each time); keyword arguments override fields."""
    import dataclasses

    from bot.reports.model import new_report

    fields: dict[str, Any] = dict(
        hazard_type="uxo",
        description="a rusty shell by the road",
        place="near the bridge at Kozacha",
        region="Kharkiv",
        seen="today",
        injured=False,
        contact_consent=False,
        contact=None,
        country="UA",
        language="uk",
        conversation="c" * 64,
    )
    fields.update({k: v for k, v in changes.items() if k in fields or k in ("latitude", "longitude")})
    report = new_report(**fields)
    rest = {k: v for k, v in changes.items() if k not in fields and k not in ("latitude", "longitude")}
    return dataclasses.replace(report, **rest) if rest else report


async def serve_hook(
    handle: Callable[[web.Request], Awaitable[web.StreamResponse]], work: Callable[[str], Awaitable[Any]]
) -> Any:
    """Run `work(url)` while a local webhook (127.0.0.1, a free port) answers POSTs to `url` with `handle`."""
    app = web.Application()
    app.router.add_post("/hook", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        return await work(f"http://127.0.0.1:{port}/hook")
    finally:
        await runner.cleanup()


# --- channel credentials (YAML entries for the test servers) ---
def twilio_credentials(auth_token: str, public_url: str, api_url: str, account_sid: str = "ACtest") -> str:
    """The Twilio channel's credentials entry, sending to `api_url` (a local fake)."""
    return (
        "bot.channels.sms.TwilioInput:\n"
        f"  account_sid: {account_sid}\n"
        f"  auth_token: {auth_token}\n"
        "  from_number: '+15550001111'\n"
        f"  public_url: {public_url}\n"
        f"  api_url: {api_url}\n"
    )


def africastalking_credentials(webhook_key: str, api_url: str) -> str:
    """The Africa's Talking channel's credentials entry, sending to `api_url` (a local fake)."""
    return (
        "bot.channels.sms.AfricasTalkingInput:\n"
        "  username: sandbox\n"
        "  api_key: at-api-key\n"
        f"  webhook_key: {webhook_key}\n"
        f"  api_url: {api_url}\n"
    )


def telegram_credentials(secret: str, base_url: str, token: str = "123:TEST") -> str:
    """The Telegram channel's credentials entry, calling `base_url` (a local fake Bot API)."""
    return (
        "bot.channels.telegram.TelegramInput:\n"
        f"  token: '{token}'\n"
        f"  secret_token: '{secret}'\n"
        "  bot_username: test_bot\n"
        f"  base_url: '{base_url}'\n"
    )


def copy_project(
    tmp_path: Path,
    files: Sequence[str] = ("domain.yml",),
    content: Optional[Sequence[str]] = None,
    locales: bool = True,
    empty: Sequence[str] = (),
) -> ProjectPaths:
    """A copy of the project that a test may break, in `tmp_path`.

    `files`: files of the project folder; `content`: entries of content/ (None: all of it);
    `locales`: the catalogs, without compiled .mo files (they are built from the .po);
    `empty`: empty folders to make under content/.
    """
    project = ProjectPaths(tmp_path)
    for name in files:
        shutil.copy(PROJECT_ROOT / name, tmp_path / name)
    source = ProjectPaths(PROJECT_ROOT).content
    if content is None:
        shutil.copytree(source, project.content)
    else:
        project.content.mkdir(parents=True, exist_ok=True)
        for name in content:
            copy = shutil.copytree if (source / name).is_dir() else shutil.copy
            copy(source / name, project.content / name)
    for name in empty:
        (project.content / name).mkdir(parents=True)
    if locales:
        shutil.copytree(PROJECT_ROOT / "locales", project.locales, ignore=shutil.ignore_patterns("*.mo"))
    return project
