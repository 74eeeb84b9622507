"""What the referral actions need, built once per action server: database, pseudonyms, places."""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from typing import Any, Mapping, Optional

from babel import Locale, UnknownLocaleError

from bot.content.countries import CountryProfile
from bot.i18n import SUPPORTED_LANGUAGES, territory_name
from bot.paths import ProjectPaths
from bot.services.check import load_reference, services_dir
from bot.services.directory import PROFILE_PHONE_PREFIX, Reference, Service
from bot.services.needs import load_needs
from bot.services.regions import Region, RegionIndex, RegionMatch
from bot.services.translations import Translations, load_translations, translated
from bot.settings import Settings, load_settings
from bot.store.db import Database
from bot.store.pseudonym import Pseudonymizer, load_key


@dataclass
class ServicesContext:
    """The app database, the pseudonym key, regions, profiles and need words."""

    database: Database
    pseudonyms: Pseudonymizer
    reference: Reference
    needs: Mapping[str, tuple[str, ...]]
    translations: Translations = dataclasses.field(default_factory=dict)

    @classmethod
    def for_project(cls, paths: ProjectPaths, settings: Optional[Settings] = None) -> ServicesContext:
        """Factory: read the project's content and open (lazily) its database."""
        chosen = settings or load_settings()
        return cls(
            database=Database.for_project(paths, chosen).migrate(),
            pseudonyms=Pseudonymizer(load_key(paths.var, chosen)),
            reference=load_reference(paths),
            needs=load_needs(paths.root / "content" / "service_needs.yml"),
            translations=load_translations(services_dir(paths)),
        )

    def regions(self, country: str) -> RegionIndex:
        """The region matcher of one country."""
        return RegionIndex(self.reference.regions.get(country, {}))

    def find_place(self, text: str, country: Optional[str]) -> Optional[tuple[str, RegionMatch]]:
        """(country, region) named in `text`: in the conversation's country, else in any country."""
        countries = (
            [country] if country and country in self.reference.regions else list(self.reference.regions)
        )
        for candidate in countries:
            found = self.regions(candidate).match(text)
            if found is not None:
                return candidate, found
        return None

    def find_country(self, text: str) -> Optional[str]:
        """The profile id of the country named in `text` ("Ukraine", "Liban", "កម្ពុជា"), or None."""
        return self.country_names.match(text)

    @functools.cached_property
    def country_names(self) -> CountryNames:
        """The country-name matcher, built on first use."""
        return CountryNames(self.reference.profiles)

    def phone(self, service: Service) -> str:
        """The number to show: the service's own, or its country profile's (profile:KIND)."""
        if not service.phone.startswith(PROFILE_PHONE_PREFIX):
            return service.phone
        profile: Optional[CountryProfile] = self.reference.profiles.get(service.country)
        number = profile.numbers.get(service.phone[len(PROFILE_PHONE_PREFIX) :]) if profile else None
        return number.number if number else ""

    def message(self, service: Service, language: str) -> tuple[str, dict[str, Any]]:
        """The response key and values of one service, in `language` where the directory has it."""
        translation = translated(self.translations, service.source, service.id, language)
        return service_message(service, self.phone(service), language, translation)


# Country names people type: CLDR's in every supported language, and Russian (typed in Ukraine).
_COUNTRY_NAME_LANGUAGES = (*SUPPORTED_LANGUAGES, "ru")
# Arabic writers often leave out the hamza on an initial alef ("اوكرانيا" for "أوكرانيا").
_ALEF_WITHOUT_HAMZA = str.maketrans("أإآ", "ااا")


class CountryNames:
    """Finds a country profile named in what a person typed (the region matcher, over countries)."""

    def __init__(self, profiles: Mapping[str, CountryProfile]) -> None:
        countries = {}
        for profile in profiles.values():
            if not profile.iso2:  # the generic profile is chosen with its button only
                continue
            names = {lang: territory_name(profile.iso2, lang) for lang in _COUNTRY_NAME_LANGUAGES}
            aliases = {profile.name} | {name.translate(_ALEF_WITHOUT_HAMZA) for name in names.values()}
            countries[profile.id] = Region(profile.id, names, tuple(sorted(aliases)))
        self._index = RegionIndex(countries)

    def match(self, text: str) -> Optional[str]:
        """The profile id of the country `text` names (the whole message or a part of it), or None."""
        found = self._index.match(text)
        return found.region if found else None


@functools.cache
def language_name_in(code: str, language: str) -> str:
    """A service's language named in the conversation's language, from CLDR ("uk" -> "Ukrainian")."""
    try:
        return str(Locale.parse(code).get_display_name(language) or code)
    except (ValueError, UnknownLocaleError):
        return code


def service_message(
    service: Service, phone: str, language: str, translation: Optional[Mapping[str, str]] = None
) -> tuple[str, dict[str, Any]]:
    """The response key for one service and its placeholder values, for a reader of `language`.

    `translation` holds the directory's own text in `language` (bot.services.translations); a
    field it lacks is the CSV's text as written. An example service gets the example response,
    which says "example" in the reader's language in the same message, and no phone or address.
    """
    text = translation or {}
    if service.example:
        key, phone, address = f"utter_service_example_{service.cost}", "", ""
    else:
        key, address = f"utter_service_{service.cost}", service.address
    return key, {
        "organisation": text.get("organisation") or service.organisation,
        "service": text.get("service") or service.name,
        "address": address,
        "phone": phone,
        "hours": text.get("hours") or service.hours,
        # Named in the reader's language (CLDR); codes would mean nothing to them.
        "languages": ", ".join(language_name_in(code, language) for code in service.languages),
        "accessibility": text.get("accessibility") or service.accessibility,
    }
