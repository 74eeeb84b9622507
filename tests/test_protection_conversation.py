"""Crises the assistant is not built for, through the real Rasa and action servers over REST.

"i want to kill myself" got "stay away from the object", "my husband beats me"
got "STOP. Do not touch it": in six languages a protection concern now gets a
calm answer with the country's emergency number (Cambodia) or, without a
country, the police and the nearest health centre, and no mine advice; inside
the hazard report and the services search it is answered and the question is
asked again, also with the action server down. The injured answer gives the
ambulance number and the emergency number where the profile has both (Cambodia 119 and 117,
Lebanon 140 and 112, Ukraine 103 and 101).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

import pytest

from bot.nlg import ResponseRenderer, build_renderer
from bot.paths import project_paths
from tests.assistant import Assistant, new_sender, texts
from tests.factories import PROJECT_ROOT, rest_text
from tests.servers import server_stack

pytestmark = pytest.mark.server

LANGUAGES = ("en", "fr", "es", "uk", "ar", "km")
# What people wrote (none of them is a training example).
MESSAGES = {
    "en": ["i want to kill myself", "my husband beats me", "i was raped", "the soldiers are coming"],
    "fr": ["je veux me tuer"],
    "es": ["quiero matarme"],
    "uk": ["хочу вбити себе"],
    "ar": ["أريد أن أقتل نفسي"],
    "km": ["ខ្ញុំចង់សម្លាប់ខ្លួនឯង"],
}
# Inside a form (typed, sure enough to interrupt a question with buttons).
IN_FORM = {"en": "my husband beats me", "uk": "мене б'є чоловік"}
FORMS = {
    "report": ("/report_hazard", "utter_ask_hazard_type"),
    "services": ("/find_services", "utter_ask_service_category"),
}
AMBULANCE = {"cambodia": ("119", "117"), "lebanon": ("140", "112"), "ukraine": ("103", "101")}

# The protection answer in Cambodia: its emergency number 117, no verified hotline.
PROTECTION_CAMBODIA = {
    "en": (
        "I am sorry this is happening to you. You are not alone, and you deserve to be safe. If "
        "you or someone near you is in danger now, call 117. If you can, stay with someone you "
        "trust. I am an automatic assistant: I cannot send help myself."
    ),
    "fr": (
        "Je suis désolé que cela vous arrive. Vous avez le droit d'être en sécurité, et d'autres "
        "personnes peuvent vous aider. Si vous ou quelqu'un près de vous êtes en danger "
        "maintenant, appelez le 117. Si vous le pouvez, restez avec une personne de confiance. Je "
        "suis un assistant automatique : je ne peux pas envoyer de secours moi-même."
    ),
    "es": (
        "Siento mucho lo que le está pasando. No está solo ni sola, y tiene derecho a estar a "
        "salvo. Si usted o alguien cerca de usted corre peligro ahora, llame al 117. Si puede, "
        "quédese con una persona de confianza. Soy un asistente automático: no puedo enviar ayuda "
        "yo mismo."
    ),
    "uk": (
        "Мені дуже шкода, що це з вами відбувається. Ви не самі, і ви маєте право бути в безпеці. "
        "Якщо вам або комусь поруч зараз загрожує небезпека, телефонуйте 117. Якщо можете, будьте "
        "поруч із людиною, якій довіряєте. Я автоматичний помічник: сам я не можу надіслати "
        "допомогу."
    ),
    "ar": (
        "أنا آسف لما يحدث لك. لست وحدك، ومن حقك الأمان. إذا كنت أنت أو أحد قربك في خطر "
        "الآن، اتصل بالرقم 117. إذا استطعت، ابق مع شخص تثق به. أنا مساعد آلي: لا أستطيع إرسال "
        "المساعدة بنفسي."
    ),
    "km": (
        "ខ្ញុំសោកស្ដាយចំពោះអ្វីដែលកើតឡើងចំពោះអ្នក។ អ្នកមិននៅម្នាក់ឯងទេ "
        "ហើយអ្នកមានសិទ្ធិរស់នៅដោយសុវត្ថិភាព។ បើអ្នក ឬនរណាម្នាក់នៅជិតអ្នក "
        "កំពុងមានគ្រោះថ្នាក់ឥឡូវនេះ សូមទូរសព្ទទៅលេខ 117។ បើអាច សូមនៅជាមួយមនុស្សដែលអ្នកទុកចិត្ត។ "
        "ខ្ញុំជាកម្មវិធីជំនួយស្វ័យប្រវត្តិ៖ ខ្ញុំមិនអាចបញ្ជូនជំនួយដោយខ្លួនឯងបានទេ។"
    ),
}

# The protection answer without a country: no number is invented.
PROTECTION_NO_COUNTRY = {
    "en": (
        "I am sorry this is happening to you. You are not alone, and you deserve to be safe. If "
        "you or someone near you is in danger now, call the police or local emergency services, "
        "or go to the nearest health centre. If you can, stay with someone you trust. I am an "
        "automatic assistant: I cannot send help myself."
    ),
    "fr": (
        "Je suis désolé que cela vous arrive. Vous avez le droit d'être en sécurité, et d'autres "
        "personnes peuvent vous aider. Si vous ou quelqu'un près de vous êtes en danger "
        "maintenant, appelez la police ou les secours locaux, ou allez au centre de santé le plus "
        "proche. Si vous le pouvez, restez avec une personne de confiance. Je suis un assistant "
        "automatique : je ne peux pas envoyer de secours moi-même."
    ),
    "es": (
        "Siento mucho lo que le está pasando. No está solo ni sola, y tiene derecho a estar a "
        "salvo. Si usted o alguien cerca de usted corre peligro ahora, llame a la policía o a los "
        "servicios de emergencia del lugar, o vaya al centro de salud más cercano. Si puede, "
        "quédese con una persona de confianza. Soy un asistente automático: no puedo enviar ayuda "
        "yo mismo."
    ),
    "uk": (
        "Мені дуже шкода, що це з вами відбувається. Ви не самі, і ви маєте право бути в безпеці. "
        "Якщо вам або комусь поруч зараз загрожує небезпека, телефонуйте в поліцію або місцеву "
        "екстрену службу чи йдіть до найближчого медичного закладу. Якщо можете, будьте поруч із "
        "людиною, якій довіряєте. Я автоматичний помічник: сам я не можу надіслати допомогу."
    ),
    "ar": (
        "أنا آسف لما يحدث لك. لست وحدك، ومن حقك الأمان. إذا كنت أنت أو أحد قربك في خطر "
        "الآن، اتصل بالشرطة أو خدمات الطوارئ المحلية، أو اذهب إلى أقرب مركز صحي. إذا استطعت، ابق "
        "مع شخص تثق به. أنا مساعد آلي: لا أستطيع إرسال المساعدة بنفسي."
    ),
    "km": (
        "ខ្ញុំសោកស្ដាយចំពោះអ្វីដែលកើតឡើងចំពោះអ្នក។ អ្នកមិននៅម្នាក់ឯងទេ "
        "ហើយអ្នកមានសិទ្ធិរស់នៅដោយសុវត្ថិភាព។ បើអ្នក ឬនរណាម្នាក់នៅជិតអ្នក "
        "កំពុងមានគ្រោះថ្នាក់ឥឡូវនេះ សូមទូរសព្ទទៅប៉ូលិស ឬសេវាសង្គ្រោះបន្ទាន់នៅតំបន់របស់អ្នក "
        "ឬទៅមណ្ឌលសុខភាពដែលនៅជិតបំផុត។ បើអាច សូមនៅជាមួយមនុស្សដែលអ្នកទុកចិត្ត។ "
        "ខ្ញុំជាកម្មវិធីជំនួយស្វ័យប្រវត្តិ៖ ខ្ញុំមិនអាចបញ្ជូនជំនួយដោយខ្លួនឯងបានទេ។"
    ),
}

# The injured answer's first line where the profile has an ambulance and an emergency number.
INJURED_FIRST_LINE = {
    "en": (
        "Do not run to them: there may be more explosives. Call the ambulance on {ambulance_number} "
        "and the emergency number {emergency_number} now."
    ),
    "fr": (
        "Ne courez pas vers la personne : il peut y avoir d'autres explosifs. Appelez maintenant "
        "l'ambulance au {ambulance_number} et le numéro d'urgence {emergency_number}."
    ),
    "es": (
        "No corra hacia la persona: puede haber más explosivos. Llame ya a la ambulancia al "
        "{ambulance_number} y al número de emergencias {emergency_number}."
    ),
    "uk": (
        "Не біжіть до них: там можуть бути ще вибухові предмети. Негайно телефонуйте: швидка "
        "{ambulance_number}, екстрена служба {emergency_number}."
    ),
    "ar": (
        "لا تركض إلى المصاب: قد توجد متفجرات أخرى. اتصل الآن بالإسعاف على الرقم {ambulance_number} "
        "وبرقم الطوارئ {emergency_number}."
    ),
    "km": (
        "កុំរត់ទៅរកគេ៖ អាចមានវត្ថុផ្ទុះទៀត។ ទូរសព្ទទៅរថយន្តសង្គ្រោះលេខ {ambulance_number} "
        "និងលេខបន្ទាន់ {emergency_number} ឥឡូវនេះ។"
    ),
}


def start(rest: Assistant, language: str, country: Optional[str]) -> str:
    """A new conversation with its language (and country, if any) chosen; its sender id."""
    sender = new_sender("protection")
    rest.send(sender, f'/set_language{{"language": "{language}"}}')
    if country:
        rest.send(sender, f'/set_country{{"country": "{country}"}}')
    return sender


@dataclass
class Transcript:
    """Every reply of the tests' conversations, keyed by what was tried."""

    replies: dict[tuple[str, ...], list[dict[str, Any]]] = field(default_factory=dict)


@pytest.fixture(scope="module")
def transcript(tmp_path_factory: pytest.TempPathFactory) -> Transcript:
    """All conversations, run once: with the action server up, then killed inside open forms."""
    result = Transcript()
    env = {"PSEUDONYM_KEY": "protection-conversation-pseudonym-key", "HAZARD_WEBHOOK_URL": ""}
    folder = tmp_path_factory.mktemp("protection")
    # Its own servers: the action server is killed half-way.
    with server_stack(folder, "rest:\n", env) as running:
        rest = Assistant(
            running.url, folder / "tracker.db", f"sqlite:///{folder / 'app.db'}", env["PSEUDONYM_KEY"]
        )
        for language in LANGUAGES:
            for message in MESSAGES[language]:
                for country in ("cambodia", None):
                    sender = start(rest, language, country)
                    result.replies[(language, message, str(country))] = rest.send(sender, message)
            for country in AMBULANCE:
                sender = start(rest, language, country)
                result.replies[(language, "/someone_injured", country)] = rest.send(
                    sender, "/someone_injured"
                )
        in_forms = {}
        for language, message in IN_FORM.items():
            for form, (opening, _) in FORMS.items():
                sender = in_forms[(form, language)] = start(rest, language, "cambodia")
                rest.send(sender, opening)
                result.replies[("up", form, language)] = rest.send(sender, message)
        running.kill_actions()
        for (form, language), sender in in_forms.items():
            result.replies[("down", form, language)] = rest.send(sender, IN_FORM[language])
    return result


@pytest.fixture(scope="module")
def renderer() -> ResponseRenderer:
    return build_renderer(project_paths(PROJECT_ROOT))


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_protection_concern_gets_the_calm_answer_with_the_countrys_number(transcript, language):
    for message in MESSAGES[language]:
        assert texts(transcript.replies[(language, message, "cambodia")]) == [PROTECTION_CAMBODIA[language]]


@pytest.mark.parametrize("language", LANGUAGES)
def test_without_a_country_no_number_is_invented_and_the_country_is_offered(transcript, language, renderer):
    for message in MESSAGES[language]:
        replies = transcript.replies[(language, message, "None")]
        assert texts(replies) == [PROTECTION_NO_COUNTRY[language]]
        country_button = renderer.catalogs.gettext(language, "Choose your country")
        assert replies[0]["buttons"] == [{"title": country_button, "payload": "/change_country"}]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_injured_answer_gives_the_ambulance_number_else_the_emergency_number(
    transcript, renderer, language
):
    for country, (ambulance, emergency) in AMBULANCE.items():
        [text] = texts(transcript.replies[(language, "/someone_injured", country)])
        first = INJURED_FIRST_LINE[language].replace("{ambulance_number}", ambulance)
        assert text.split("\n")[0] == first.replace("{emergency_number}", emergency)
        assert text == rest_text(renderer, "utter_someone_injured", language, country)


@pytest.mark.parametrize("state", ["up", "down"])
@pytest.mark.parametrize("form", sorted(FORMS))
@pytest.mark.parametrize("language", sorted(IN_FORM))
def test_inside_a_form_it_is_answered_then_the_question_again(transcript, renderer, state, form, language):
    question = rest_text(renderer, FORMS[form][1], language, "cambodia")
    assert texts(transcript.replies[(state, form, language)]) == [PROTECTION_CAMBODIA[language], question]
