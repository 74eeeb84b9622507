"""Someone injured, through the real Rasa and action servers over REST, in six languages.

A frightened reader must never read the answer as "go in and carry them out": the first line
says do not run to them and gives the numbers (Ukraine: ambulance 103, then the emergency
number 101), and everything done to the person comes after, and under, the condition that
trained helpers can reach them without entering the danger area. The server's start-up log
names every unverified profile number (people get it; staff must see it is unconfirmed).
"""

from __future__ import annotations

from typing import Any, Optional

import pytest

from tests.assistant import Assistant, new_sender
from tests.servers import Shared

pytestmark = pytest.mark.server

LANGUAGES = ("en", "fr", "es", "uk", "ar", "km")
COUNTRIES = ("ukraine", "cambodia", "generic")
# Typed, not training examples (tests/nlu_holdout).
TYPED = {
    "en": "explosion my friend is bleeding",
    "fr": "explosion au secours",
    "es": "mi hermano piso una mina",
    "uk": "вибух, людина поранена",
    "ar": "انفجار! صاحبي عم ينزف",
    "km": "ផ្ទុះ!! មានគេរបួស",
}

# First lines: Ukraine (ambulance 103, emergency 101), Cambodia (119, 117), no country.
FIRST_LINE = {
    "en": {
        "ukraine": (
            "Do not run to them: there may be more explosives. Call the ambulance on 103 and the "
            "emergency number 101 now."
        ),
        "cambodia": (
            "Do not run to them: there may be more explosives. Call the ambulance on 119 and the "
            "emergency number 117 now."
        ),
        "generic": (
            "Do not run to them: there may be more explosives. Call the police or local emergency "
            "services now."
        ),
    },
    "fr": {
        "ukraine": (
            "Ne courez pas vers la personne : il peut y avoir d'autres explosifs. Appelez maintenant "
            "l'ambulance au 103 et le numéro d'urgence 101."
        ),
        "cambodia": (
            "Ne courez pas vers la personne : il peut y avoir d'autres explosifs. Appelez maintenant "
            "l'ambulance au 119 et le numéro d'urgence 117."
        ),
        "generic": (
            "Ne courez pas vers la personne : il peut y avoir d'autres explosifs. Appelez la police "
            "ou les services d'urgence locaux maintenant."
        ),
    },
    "es": {
        "ukraine": (
            "No corra hacia la persona: puede haber más explosivos. Llame ya a la ambulancia al 103 y "
            "al número de emergencias 101."
        ),
        "cambodia": (
            "No corra hacia la persona: puede haber más explosivos. Llame ya a la ambulancia al 119 y "
            "al número de emergencias 117."
        ),
        "generic": (
            "No corra hacia la persona: puede haber más explosivos. Llame ya a la policía o a los "
            "servicios de emergencia del lugar."
        ),
    },
    "uk": {
        "ukraine": (
            "Не біжіть до них: там можуть бути ще вибухові предмети. Негайно телефонуйте: швидка 103, "
            "екстрена служба 101."
        ),
        "cambodia": (
            "Не біжіть до них: там можуть бути ще вибухові предмети. Негайно телефонуйте: швидка 119, "
            "екстрена служба 117."
        ),
        "generic": (
            "Не біжіть до них: там можуть бути ще вибухові предмети. Негайно телефонуйте в поліцію "
            "або місцеві екстрені служби."
        ),
    },
    "ar": {
        "ukraine": (
            "لا تركض إلى المصاب: قد توجد متفجرات أخرى. اتصل الآن بالإسعاف على الرقم 103 وبرقم الطوارئ 101."
        ),
        "cambodia": (
            "لا تركض إلى المصاب: قد توجد متفجرات أخرى. اتصل الآن بالإسعاف على الرقم 119 وبرقم الطوارئ 117."
        ),
        "generic": "لا تركض إلى المصاب: قد توجد متفجرات أخرى. اتصل بالشرطة أو بخدمات الطوارئ المحلية الآن.",
    },
    "km": {
        "ukraine": ("កុំរត់ទៅរកគេ៖ អាចមានវត្ថុផ្ទុះទៀត។ ទូរសព្ទទៅរថយន្តសង្គ្រោះលេខ 103 និងលេខបន្ទាន់ 101 ឥឡូវនេះ។"),
        "cambodia": ("កុំរត់ទៅរកគេ៖ អាចមានវត្ថុផ្ទុះទៀត។ ទូរសព្ទទៅរថយន្តសង្គ្រោះលេខ 119 និងលេខបន្ទាន់ 117 ឥឡូវនេះ។"),
        "generic": ("កុំរត់ទៅរកគេ៖ អាចមានវត្ថុផ្ទុះទៀត។ ទូរសព្ទទៅប៉ូលិស ឬសេវាសង្គ្រោះបន្ទាន់ក្នុងតំបន់ឥឡូវនេះ។"),
    },
}
# The steps after the first line; everything done to the person is under step 3's condition.
STEPS = {
    "en": (
        "1. From where you are, tell the person to stay still and to press hard on the wound.",
        "2. Do not go in to carry them out. Wait for trained help.",
        (
            "3. Only once trained helpers can reach the person without entering the danger area, they "
            "(or you, with them) should:"
        ),
        "- press firmly on a bleeding wound;",
        (
            "- if an arm or leg bleeds heavily and pressure does not stop it, tie a tourniquet above "
            "the wound (between the wound and the body), note the time and do not loosen it;"
        ),
        "- keep the person warm and get them to medical care fast.",
        "4. Note where, when and how many people are hurt.",
    ),
    "fr": (
        "1. De là où vous êtes, dites à la personne de ne pas bouger et d'appuyer fort sur la blessure.",
        "2. N'allez pas la chercher. Attendez des secours formés.",
        (
            "3. Seulement quand des secours formés peuvent atteindre la personne sans entrer dans la "
            "zone dangereuse, eux (ou vous, avec eux) doivent :"
        ),
        "- appuyer fort sur une blessure qui saigne ;",
        (
            "- si un bras ou une jambe saigne beaucoup et que la pression ne l'arrête pas, poser un "
            "garrot au-dessus de la blessure (entre la blessure et le corps), noter l'heure et ne pas "
            "le desserrer ;"
        ),
        "- garder la personne au chaud et l'emmener vite vers des soins médicaux.",
        "4. Notez où, quand et combien de personnes sont blessées.",
    ),
    "es": (
        "1. Desde donde está, dígale a la persona que no se mueva y que apriete fuerte la herida.",
        "2. No entre a sacarla. Espere la ayuda capacitada.",
        (
            "3. Solo cuando la ayuda capacitada pueda llegar hasta la persona sin entrar en la zona "
            "peligrosa, esas personas (o usted, con ellas) deben:"
        ),
        "- apretar fuerte una herida que sangra;",
        (
            "- si un brazo o una pierna sangra mucho y la presión no lo detiene, poner un torniquete "
            "por encima de la herida (entre la herida y el cuerpo), anotar la hora y no aflojarlo;"
        ),
        "- mantener abrigada a la persona y llevarla rápido a atención médica.",
        "4. Anote dónde, cuándo y cuántas personas están heridas.",
    ),
    "uk": (
        "1. Звідти, де ви є, скажіть людині не рухатися й сильно тиснути на рану.",
        "2. Не заходьте туди, щоб винести людину. Чекайте на навчених рятувальників.",
        (
            "3. Лише коли навчені рятувальники можуть дістатися до людини, не заходячи в небезпечну "
            "зону, вони (або ви разом з ними) мають:"
        ),
        "- сильно притиснути рану, що кровить;",
        (
            "- якщо рука чи нога сильно кровить і тиск не зупиняє кровотечу, накласти турнікет "
            "(джгут) вище рани (між раною і тілом), записати час і не послаблювати його;"
        ),
        "- зігріти людину й швидко доставити до медиків.",
        "4. Запишіть, де, коли і скільки людей поранено.",
    ),
    "ar": (
        "1. من مكانك، قل للمصاب أن يبقى بلا حركة وأن يضغط بقوة على الجرح.",
        "2. لا تدخل لتحمله إلى الخارج. انتظر وصول مسعفين مدربين.",
        "3. فقط عندما يستطيع مسعفون مدربون الوصول إلى المصاب دون دخول المنطقة الخطرة، عليهم (أو عليك معهم):",
        "- الضغط بقوة على الجرح الذي ينزف؛",
        (
            "- إذا كانت الذراع أو الساق تنزف كثيرا والضغط لا يوقف النزيف: ربط رباط ضاغط لوقف النزيف "
            "(تورنيكيه) فوق الجرح (بين الجرح والجسم)، وكتابة الوقت، وعدم إرخائه؛"
        ),
        "- إبقاء المصاب دافئا ونقله بسرعة إلى الرعاية الطبية.",
        "4. سجل أين ومتى وكم شخصا أصيب.",
    ),
    "km": (
        "1. ពីកន្លែងដែលអ្នកនៅ ប្រាប់អ្នករបួសឱ្យនៅស្ងៀម ហើយឱ្យសង្កត់មុខរបួសឱ្យខ្លាំង។",
        "2. កុំចូលទៅលីគាត់ចេញ។ រង់ចាំអ្នកជួយដែលមានជំនាញ។",
        ("3. លុះត្រាតែអ្នកជួយដែលមានជំនាញអាចទៅដល់អ្នករបួស ដោយមិនចូលក្នុងតំបន់គ្រោះថ្នាក់ ទើបពួកគេ (ឬអ្នក រួមជាមួយពួកគេ) ត្រូវ៖"),
        "- សង្កត់ឱ្យណែនលើមុខរបួសដែលហូរឈាម។",
        (
            "- បើដៃ ឬជើងហូរឈាមខ្លាំង ហើយការសង្កត់មិនអាចបញ្ឈប់ឈាមបាន ចងខ្សែរឹតឈាម (ខ្សែចងបញ្ឈប់ឈាម) "
            "នៅខាងលើមុខរបួស គឺនៅចន្លោះមុខរបួស និងដងខ្លួន កត់ម៉ោងទុក ហើយកុំស្រាយវា។"
        ),
        "- ធ្វើឱ្យអ្នករបួសកក់ក្ដៅ ហើយនាំគាត់ទៅទទួលការព្យាបាលឱ្យបានលឿន។",
        "4. កត់ចំណាំថា នៅកន្លែងណា ពេលណា និងមានមនុស្សរបួសប៉ុន្មាននាក់។",
    ),
}
# Without a country the care step names the nearest health centre.
GENERIC_CARE = {
    "en": "- keep the person warm and get them to medical care or the nearest health centre fast.",
    "fr": (
        "- garder la personne au chaud et l'emmener vite vers des soins médicaux ou le centre de "
        "santé le plus proche."
    ),
    "es": (
        "- mantener abrigada a la persona y llevarla rápido a atención médica o al puesto de salud "
        "más cercano."
    ),
    "uk": "- зігріти людину й швидко доставити до медиків або до найближчого медпункту.",
    "ar": "- إبقاء المصاب دافئا ونقله بسرعة إلى الرعاية الطبية أو إلى أقرب مركز صحي.",
    "km": "- ធ្វើឱ្យអ្នករបួសកក់ក្ដៅ ហើយនាំគាត់ទៅទទួលការព្យាបាល ឬទៅមណ្ឌលសុខភាពជិតបំផុតឱ្យបានលឿន។",
}


def expected(language: str, country: str) -> str:
    """The whole answer, exactly."""
    steps = list(STEPS[language])
    if country == "generic":
        steps[5] = GENERIC_CARE[language]
    return "\n".join([FIRST_LINE[language][country], *steps])


def start(rest: Assistant, language: str, country: Optional[str]) -> str:
    """A new conversation with its language (and country, unless generic) chosen; its sender id."""
    sender = new_sender("injured")
    rest.send(sender, f'/set_language{{"language": "{language}"}}')
    if country != "generic":
        rest.send(sender, f'/set_country{{"country": "{country}"}}')
    return sender


@pytest.fixture(scope="module")
def transcript(servers: Shared) -> dict[tuple[str, str, str], list[dict[str, Any]]]:
    """Every conversation, run once; the servers' log is kept as ("log", "", "")."""
    rest = servers.rest
    replies: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for language in LANGUAGES:
        for country in COUNTRIES:
            for message in ("/someone_injured", TYPED[language]):
                sender = start(rest, language, country)
                replies[(language, country, message)] = rest.send(sender, message)
    log = servers.log.read_text(encoding="utf-8", errors="replace")
    replies[("log", "", "")] = [{"text": log}]
    return replies


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("country", COUNTRIES)
def test_the_injured_answer_exactly_typed_and_by_button(transcript, language, country):
    for message in ("/someone_injured", TYPED[language]):
        replies = transcript[(language, country, message)]
        assert [r.get("text") for r in replies] == [expected(language, country)], message
        buttons = [b["payload"] for r in replies for b in r.get("buttons") or []]
        assert buttons == (["/change_country"] if country == "generic" else [])


@pytest.mark.parametrize("language", LANGUAGES)
def test_ukraine_gets_ambulance_103_and_emergency_101_first_then_the_condition_before_any_care(
    transcript, language
):
    [reply] = transcript[(language, "ukraine", "/someone_injured")]
    lines = reply["text"].split("\n")
    # The numbers only in the first line, the ambulance first.
    assert "103" in lines[0] and "101" in lines[0]
    assert lines[0].index("103") < lines[0].index("101")
    assert not any("10" in line for line in lines[1:])
    # "Do not go in" (step 2) and the condition (step 3) come before every care step, and the
    # care steps are the condition's own items.
    condition = lines.index(STEPS[language][2])
    assert lines.index(STEPS[language][1]) < condition
    care = lines[condition + 1 : condition + 4]
    assert care == list(STEPS[language][3:6]) and all(line.startswith("- ") for line in care)
    assert lines[condition + 4].startswith("4.")


def test_the_start_up_log_names_every_unverified_number_and_no_verified_one(transcript):
    log = transcript[("log", "", "")][0]["text"]
    # A set: the line may repeat if the server loads its model again.
    warned = sorted(
        {
            line.split("UNVERIFIED number given to people: ", 1)[1].split(" (source:")[0]
            for line in log.splitlines()
            if "UNVERIFIED number given to people: " in line
        }
    )
    assert warned == [
        "cambodia ambulance 119",
        "cambodia emergency 117",
        "colombia emergency 123",
        "lebanon ambulance 140",
        "lebanon emergency 112",
    ]
