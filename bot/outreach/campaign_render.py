"""A campaign's message for one language, channel and country: translated through the catalogs
(the same as every response), the country profile's numbers filled in, and, on SMS, the GSM-7
spelling when it is cheaper and the segments it costs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional

from bot.content.countries import GENERIC_PROFILE, CountryProfile, load_profiles
from bot.i18n import Catalogs, territory_name
from bot.outreach.campaigns import SMS, Campaign
from bot.paths import ProjectPaths
from bot.responses import fill, placeholders
from bot.sms.compose import compose

# What one campaign SMS may cost (one message, never pages): the budget of every SMS reply.
CAMPAIGN_SEGMENT_BUDGET = 3
# Placeholders a campaign may use besides the profile numbers ({emergency_number} ...).
CAMPAIGN_VALUES = frozenset({"safe_distance", "country_name"})
# Large enough that compose never splits a campaign SMS in pages (the budget is checked after).
_UNSPLIT = 1000


@dataclass(frozen=True)
class Rendered:
    """One campaign message as a person gets it, and what it costs (SMS segments, 1 elsewhere)."""

    text: str
    segments: int
    # Placeholders no value was found for (the campaign must not send when there are any).
    unfilled: frozenset[str] = frozenset()


def profile_of(profiles: Mapping[str, CountryProfile], country: Optional[str]) -> CountryProfile:
    """The profile of a country given as a profile id ("ukraine") or an ISO code ("UA"); the
    generic profile when unknown."""
    if country and country in profiles:
        return profiles[country]
    for profile in profiles.values():
        if country and profile.iso2 and profile.iso2.upper() == country.upper():
            return profile
    return profiles[GENERIC_PROFILE]


class CampaignRenderer:
    """Renders campaigns with the project's catalogs and country profiles."""

    def __init__(self, catalogs: Catalogs, profiles: Mapping[str, CountryProfile]) -> None:
        self.catalogs = catalogs
        self.profiles = profiles

    @classmethod
    def for_project(cls, paths: ProjectPaths) -> CampaignRenderer:
        """A renderer reading the project's catalogs and country profiles."""
        return cls(Catalogs.load(paths.locales), load_profiles(paths.countries))

    def values(self, profile: CountryProfile, language: str) -> dict[str, Any]:
        """The placeholder values of a country in a language."""
        values: dict[str, Any] = dict(profile.placeholders())
        if profile.iso2:
            values["country_name"] = territory_name(profile.iso2, language)
        return values

    def render(self, campaign: Campaign, language: str, channel: str, country: Optional[str]) -> Rendered:
        """The message of `campaign` in `language` on `channel` for a person in `country`."""
        profile = profile_of(self.profiles, country)
        translated = self.catalogs.gettext(language, campaign.message(channel))
        values = self.values(profile, language)
        unfilled = frozenset(name for name in placeholders(translated) if name not in values)
        text = fill(translated, values).strip()
        if channel != SMS:
            return Rendered(text, 1, unfilled)
        sms = compose(text, [], _UNSPLIT)
        return Rendered(sms.body, sms.cost.segments, unfilled)
