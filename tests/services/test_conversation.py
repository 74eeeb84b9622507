"""One service per SMS: every example entry fits the segment budget in its readers' languages."""

import pytest

from bot.nlg import ResponseContext, build_renderer
from bot.paths import project_paths
from bot.services.conversation import language_name_in, service_message
from bot.services.directory import load_reference, read_directory
from bot.services.translations import load_translations, translated
from bot.sms import DEFAULT_SEGMENT_BUDGET, SMS_OUTPUT_CHANNEL
from bot.sms.segments import count_segments
from tests.factories import PROJECT_ROOT

PATHS = project_paths(PROJECT_ROOT)


def example_services():
    reference = load_reference(PATHS)
    files = read_directory(sorted(PATHS.services.glob("*.csv")), reference)
    return [(service, reference.profiles[service.country]) for f in files for service in f.services]


@pytest.fixture(scope="module")
def renderer():
    return build_renderer(PATHS)


def test_languages_are_named_in_the_readers_language():
    assert language_name_in("uk", "en") == "Ukrainian"
    assert language_name_in("uk", "fr") == "ukrainien"
    assert language_name_in("xx-not-a-code", "en") == "xx-not-a-code"


def test_every_example_service_fits_one_sms(renderer):
    services = example_services()
    assert len(services) >= 30
    translations = load_translations(PATHS.services)
    too_long = []
    for service, profile in services:
        # Every language of the profile, with the directory's own text translated into it.
        for language in {*profile.languages, "en"} & {"en", "fr", "es", "uk", "ar", "km"}:
            phone = service.phone if not service.phone.startswith("profile:") else "112"
            text = translated(translations, service.source, service.id, language)
            key, values = service_message(service, phone, language, text)
            reply = renderer.render(key, ResponseContext(language, profile), SMS_OUTPUT_CHANNEL, values)
            organisation = text.get("organisation", service.organisation)
            assert reply and organisation in reply["text"] and "{" not in reply["text"]
            cost = count_segments(reply["text"])
            if cost.segments > DEFAULT_SEGMENT_BUDGET:
                too_long.append((service.id, language, cost.segments, cost.units))
    assert too_long == []
