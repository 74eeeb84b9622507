"""End to end through the real `bot serve` (REST): emergency medical care is never a referral,
and an example service says so, in the person's language, inside its own message.

Before: "Emergency medical care" listed services and offered a referral that "can take a few
days"; every service was in English after a separate English-only "EXAMPLES ONLY" note.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from bot.nlg import ResponseContext
from bot.services.regions import load_regions
from tests.actions.test_referral_conversation import assistant as assistant  # noqa: F401 (fixture)
from tests.actions.test_referral_conversation import rendered, texts
from tests.factories import PROJECT_ROOT

pytestmark = pytest.mark.server

REGIONS = load_regions(PROJECT_ROOT / "content" / "regions")
EMERGENCY_BUTTON = '/find_services{"service_category": "emergency_medical"}'
# language: (country, region typed when asked)
PLACES = {
    "en": ("ukraine", "kharkiv"),
    "uk": ("ukraine", "kharkiv"),
    "ar": ("lebanon", "south"),
    "es": ("colombia", "antioquia"),
}
# language: what a frightened person types
TYPED = {
    "en": ["I need an ambulance", "my leg is bleeding, where is a hospital"],
    "uk": ["Потрібна швидка, у нього кровотеча"],
    "ar": ["أحتاج إسعاف، أين المستشفى؟"],
    "es": ["Necesito una ambulancia, está sangrando"],
}
# The example emergency hospital of each place, as the person must read it (the directory's
# own text translated: content/services/translations; English where the profile has no
# translation into the language).
EMERGENCY_LISTING = {
    "en": "EXAMPLE ONLY: this is not a real service and has no phone number.\n"
    "Example Emergency Hospital: Emergency and trauma care\n"
    "Open: 24 hours\n"
    "Languages: Ukrainian, Russian, English\n"
    "Access: Step-free entrance; wheelchair accessible toilets\n"
    "Cost: free",
    "es": "SOLO UN EJEMPLO: no es un servicio real y no tiene número de teléfono.\n"
    "Hospital regional de ejemplo: Atención de urgencias y traumas\n"
    "Horario: 24 horas\n"
    "Idiomas: español\n"
    "Accesibilidad: Entrada sin escalones\n"
    "Costo: gratis",
    "uk": "ЛИШЕ ПРИКЛАД: це не справжня служба, і в неї немає номера телефону.\n"
    "Приклад лікарні швидкої допомоги: Невідкладна допомога при травмах\n"
    "Години роботи: Цілодобово\n"
    "Мови: українська, російська, англійська\n"
    "Доступність: Вхід без сходинок; туалет для людей на візку\n"
    "Вартість: безкоштовно",
    "ar": "مثال فقط: هذه ليست خدمة حقيقية وليس لها رقم هاتف.\n"
    "مستشفى حكومي (مثال): رعاية الطوارئ والإصابات\n"
    "أوقات العمل: 24 ساعة\n"
    "اللغات: العربية, الفرنسية, الإنجليزية\n"
    "سهولة الوصول: مدخل بلا درج\n"
    "التكلفة: مجاناً",
}


def start(assistant: Any, language: str) -> tuple[str, str]:  # noqa: F811
    sender = f"t-{uuid.uuid4().hex}"
    country, _ = PLACES[language]
    assistant.send(sender, f'/set_language{{"language": "{language}"}}')
    assistant.send(sender, f'/set_country{{"country": "{country}"}}')
    return sender, country


def region_name(language: str) -> str:
    country, region = PLACES[language]
    return REGIONS[country][region].name(language)


def no_referral(assistant: Any, expected: Any, sender: str, language: str, said: list[str]) -> None:  # noqa: F811
    country, _ = PLACES[language]
    offer = rendered(expected, "utter_referral_offer", language, country)
    contact = rendered(expected, "utter_ask_referral_contact", language, country)
    assert offer not in said
    # A "yes" after the list starts no referral.
    after = texts(assistant.send(sender, "/affirm"))
    assert contact not in after and offer not in after
    assert assistant.referral_rows(sender) == []


@pytest.mark.parametrize("language", sorted(PLACES))
def test_the_emergency_button_gives_the_injured_answer_at_once_and_no_referral(
    assistant,  # noqa: F811
    expected,  # noqa: F811
    language,
):
    sender, country = start(assistant, language)
    asked = assistant.send(sender, "/find_services")
    question = expected.render(
        "utter_ask_service_category", ResponseContext(language, expected.profile(country)), "rest", {}
    )
    assert [(r.get("text"), r.get("buttons")) for r in asked] == [(question["text"], question["buttons"])]
    assert EMERGENCY_BUTTON in [b["payload"] for b in asked[0]["buttons"]]

    pressed = texts(assistant.send(sender, EMERGENCY_BUTTON))
    assert pressed == [
        rendered(expected, "utter_someone_injured", language, country),
        rendered(expected, "utter_ask_service_region", language, country),
    ]
    listed = texts(assistant.send(sender, region_name(language)))
    assert listed == [EMERGENCY_LISTING[language]]
    no_referral(assistant, expected, sender, language, pressed + listed)


@pytest.mark.parametrize(
    ("language", "typed"), [(language, text) for language, typed in sorted(TYPED.items()) for text in typed]
)
def test_typed_emergency_gives_the_injured_answer_first_and_no_referral(
    assistant,  # noqa: F811
    expected,  # noqa: F811
    language,
    typed,
):
    sender, country = start(assistant, language)
    said = texts(assistant.send(sender, typed))
    assert said[0] == rendered(expected, "utter_someone_injured", language, country)
    # Read as someone injured, the safety rule may add its offer of services; read as a search
    # for emergency care, the region is asked to list the nearest services.
    region_question = rendered(expected, "utter_ask_service_region", language, country)
    assert said[1:] in (
        [],
        [rendered(expected, "utter_offer_services", language, country)],
        [region_question],
    )
    if said[1:] == [region_question]:
        said += texts(assistant.send(sender, region_name(language)))
    no_referral(assistant, expected, sender, language, said)


# language: (country, need typed, region, what the person reads first: label and translated text)
LISTINGS = {
    "uk": (
        "ukraine",
        "Я втратила ногу, де отримати протез?",
        "kharkiv",
        "ЛИШЕ ПРИКЛАД: це не справжня служба, і в неї немає номера телефону.\n"
        "Приклад реабілітаційного центру: Протези, ортези, візки, фізтерапія\n"
        "Години роботи: Пн-Пт 9:00-17:00\n"
        "Мови: українська, російська, англійська\n"
        "Доступність: Без сходинок; жестова мова\n"
        "Вартість: безкоштовно",
    ),
    "ar": (
        "lebanon",
        "فقدت ساقي، أين أحصل على طرف صناعي؟",
        "nabatieh",
        "مثال فقط: هذه ليست خدمة حقيقية وليس لها رقم هاتف.\n"
        "مركز تأهيل (مثال): أطراف اصطناعية وأجهزة تقويم وكراسٍ متحركة وعلاج فيزيائي\n"
        "أوقات العمل: الإثنين-الجمعة 8:00-16:00\n"
        "اللغات: العربية, الفرنسية, الإنجليزية\n"
        "سهولة الوصول: بلا درج؛ حمامات مهيأة\n"
        "التكلفة: مجاناً",
    ),
}


@pytest.mark.parametrize("language", sorted(LISTINGS))
def test_a_listing_is_in_the_persons_language_with_the_example_label_in_each_message(
    assistant,  # noqa: F811
    expected,  # noqa: F811
    language,
):
    country, need, region, first = LISTINGS[language]
    sender = f"t-{uuid.uuid4().hex}"
    assistant.send(sender, f'/set_country{{"country": "{country}"}}')
    assistant.send(sender, need)
    shown = texts(assistant.send(sender, REGIONS[country][region].name(language)))
    assert shown[0] == first
    label = first.split("\n")[0]
    # Every service carries the label; no separate note; then the referral offer.
    assert len(shown) >= 3 and all(text.startswith(f"{label}\n") for text in shown[:-1])
    assert shown[-1] == rendered(expected, "utter_referral_offer", language, country)
