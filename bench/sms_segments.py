"""SMS cost of the answers that matter most, per language: segments of each safety answer and
of the main menu, as the SMS channel would send them (short variants, numbered menu, budget)."""

from __future__ import annotations

import argparse

from bot.i18n import SUPPORTED_LANGUAGES
from bot.nlg import ResponseContext, build_renderer
from bot.paths import project_paths
from bot.sms import DEFAULT_SEGMENT_BUDGET, SMS_OUTPUT_CHANNEL
from bot.sms.compose import compose

KEYS = ("utter_found_object", "utter_in_hazard_area", "utter_someone_injured", "utter_help")
COUNTRY_OF = {
    "en": "ukraine",
    "fr": "lebanon",
    "es": "colombia",
    "uk": "ukraine",
    "ar": "lebanon",
    "km": "cambodia",
}


def main() -> None:
    """Print a table: language x response -> segments (encoding), options kept of the menu."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--budget", type=int, default=DEFAULT_SEGMENT_BUDGET)
    args = parser.parse_args()
    renderer = build_renderer(project_paths())
    print(f"segment budget {args.budget}; country profile per language: {COUNTRY_OF}")
    print(f"{'lang':5}" + "".join(f"{k.removeprefix('utter_'):>24}" for k in KEYS))
    for language in SUPPORTED_LANGUAGES:
        context = ResponseContext(language, renderer.profile(COUNTRY_OF[language]))
        cells = []
        for key in KEYS:
            reply = renderer.render(key, context, SMS_OUTPUT_CHANNEL, {}) or {}
            buttons = reply.get("buttons") or []
            sms = compose(str(reply.get("text") or ""), buttons, args.budget)
            kept = f" {len(sms.payloads)}/{len(buttons)} opts" if buttons else ""
            cells.append(f"{sms.cost.segments} ({sms.cost.encoding}){kept}")
        print(f"{language:5}" + "".join(f"{c:>24}" for c in cells))


if __name__ == "__main__":
    main()
