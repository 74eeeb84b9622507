"""The SMS budget, and every response of the domain as the SMS channel would send it.

The budget (README "SMS"):
- every SMS the assistant sends costs at most DEFAULT_SEGMENT_BUDGET (3) segments; a longer message
  is sent in pages, each ending with a numbered "More" option, and no option is ever dropped;
- a safety answer (SAFETY_RESPONSES) is one SMS of at most SAFETY_SEGMENT_BUDGET (2) segments:
  all its steps arrive at once, without "More", even on a phone that joins parts badly;
- a response whose SMS form needs pages should get a short `channel: sms` variation instead
  (the test and the bench show which ones need pages: none in the shipped content).
Placeholders an action fills (a report's reference, a service's fields) get SAMPLE_VALUES here,
as long as real ones; the numbers come from each country profile.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, Mapping, Optional, Sequence

from bot.content.countries import CountryProfile
from bot.i18n import SUPPORTED_LANGUAGES
from bot.nlg import ResponseContext, ResponseRenderer
from bot.responses import choose_variation, render
from bot.sms import DEFAULT_SEGMENT_BUDGET, SMS_OUTPUT_CHANNEL
from bot.sms.compose import OutgoingSms, compose

SAFETY_SEGMENT_BUDGET = 2
SAFETY_RESPONSES = (
    "utter_found_object",
    "utter_in_hazard_area",
    "utter_someone_injured",
    "utter_protection_concern",
)
# The title of a page's "More" option, translated like any response.
MORE_RESPONSE = "utter_sms_more"
# Values actions pass to responses, as long as real ones (references are 6 characters;
# the service fields are the longest shipped example, in English).
SAMPLE_VALUES: Mapping[str, str] = {
    "reference": "K7M2QX",
    "organisation": "Example Emergency Hospital",
    "service": "Emergency and trauma care",
    "phone": "+380 44 123 4567",
    "address": "EXAMPLE ONLY, not a real address",
    "hours": "Mon-Fri 9:00-17:00",
    "languages": "Ukrainian, Russian, English",
    "accessibility": "Step-free entrance; wheelchair accessible toilets",
    # An alert's place (staff may write a longer one: `bot reports alert` shows the segments
    # before sending), and the partner of a referral (bot/outreach).
    "place": "the bridge at Kozacha",
    "partner": "Example Rehabilitation Centre",
    # The quiz's score, counted by the NLG (bot/quiz.py).
    "score": "5",
    "total": "5",
    # An alert subscription's region (content/regions), among the longest names.
    "region": "Norte de Santander",
    # KAP surveys (actions/surveys.py): the longest texts of content/surveys/kap-basic.yml.
    "survey_title": "Mine safety survey",
    "survey_intro": "A short survey: 6 questions about explosive objects. It helps us see what people know. "
    "We keep only the options you choose, never your name or number.",
    "survey_number": "6",
    "survey_total": "6",
    "survey_question": "When you walk or work outside, do you stay on paths that people use every day?",
    "survey_score": "3",
    "survey_knowledge": "3",
    "survey_closing": "Thank you for your answers. Remember: if you see something strange, do not touch it, "
    "keep away, and report it.",
}


@dataclass(frozen=True)
class SmsForm:
    """One response as sent by SMS in one language with one country profile."""

    key: str
    language: str
    country: str
    variation: int  # index of the variation in domain.yml
    sms: OutgoingSms

    @property
    def safety(self) -> bool:
        """True for the safety answers (a tighter budget, and no pages)."""
        return self.key in SAFETY_RESPONSES

    @property
    def problems(self) -> list[str]:
        """Why this form breaks the budget (empty when it keeps it)."""
        found = []
        pages = self.sms.pages
        if any(not page.fits for page in pages):
            found.append(f"a page over {DEFAULT_SEGMENT_BUDGET} segments")
        if self.sms.options_dropped:
            found.append(f"{self.sms.options_dropped} options dropped")
        if self.safety and (len(pages) > 1 or pages[0].cost.segments > SAFETY_SEGMENT_BUDGET):
            found.append(f"a safety answer must be 1 SMS of at most {SAFETY_SEGMENT_BUDGET} segments")
        if any("{" in page.body for page in pages):
            found.append("an unfilled {placeholder} (add a sample to SAMPLE_VALUES?)")
        return found


def more_title(renderer: ResponseRenderer, context: ResponseContext) -> Optional[str]:
    """The translated title of the "More" option, or None when the domain has none."""
    rendered = renderer.render(MORE_RESPONSE, context, SMS_OUTPUT_CHANNEL, {})
    return str(rendered["text"]) if rendered and rendered.get("text") else None


def _reachable(
    variations: Sequence[Mapping[str, Any]], values: Mapping[str, Any]
) -> list[tuple[int, Mapping[str, Any]]]:
    """The SMS variations a conversation with these numbers can get: the one chosen with every
    action value, and the one chosen when an action leaves one out (e.g. a service without phone)."""
    chosen = [choose_variation(variations, SMS_OUTPUT_CHANNEL, values)]
    for name in SAMPLE_VALUES:
        chosen.append(choose_variation(variations, SMS_OUTPUT_CHANNEL, {**values, name: ""}))
    return [(i, v) for i, v in enumerate(variations) if any(v is c for c in chosen)]


def sms_forms(
    renderer: ResponseRenderer,
    keys: Optional[Sequence[str]] = None,
    languages: Sequence[str] = SUPPORTED_LANGUAGES,
    profiles: Optional[Sequence[CountryProfile]] = None,
    budget: int = DEFAULT_SEGMENT_BUDGET,
) -> Iterator[SmsForm]:
    """Every response (or `keys`) in every language with every country profile, composed for SMS."""
    for language in languages:
        for profile in profiles or list(renderer.profiles.values()):
            context = ResponseContext(language, profile)
            values = renderer.values(context, SAMPLE_VALUES)
            more = more_title(renderer, context)

            def translate(text: str, language: str = language) -> str:
                return renderer.catalogs.gettext(language, text)

            for key in keys or sorted(renderer.responses):
                for index, variation in _reachable(renderer.responses[key], values):
                    rendered = render(variation, translate, values)
                    text = str(rendered.get("text") or "")
                    sms = compose(text, rendered.get("buttons") or [], budget, more)
                    yield SmsForm(key, language, profile.id, index, sms)
