"""SMS cost of every response in every language, as the SMS channel would send it.

Budget (bot/sms/budget.py, README "SMS"): every SMS at most 3 segments (`--budget`), longer
messages in pages ending with a numbered "More", no option dropped; the safety answers one SMS
of at most 2 segments. Each cell is the worst case over the country profiles (their numbers
filled in) and the variations a conversation can get: segments of the largest page, G (GSM-7)
or U (UCS-2), "xN" when it takes N pages, "!" when it breaks the budget.

    .venv/bin/python bench/sms_segments.py            # the table
    .venv/bin/python bench/sms_segments.py --detail   # one line per response, language, profile
"""

from __future__ import annotations

import argparse
from collections import defaultdict

from bot.i18n import SUPPORTED_LANGUAGES
from bot.nlg import build_renderer
from bot.paths import project_paths
from bot.sms import DEFAULT_SEGMENT_BUDGET
from bot.sms.budget import SAFETY_SEGMENT_BUDGET, SmsForm, sms_forms


def cell(forms: list[SmsForm]) -> str:
    """The worst form of a response in one language, as "3U", "2Gx2" or "4U!"."""
    worst = max(forms, key=lambda f: (len(f.sms.pages), max(p.cost.segments for p in f.sms.pages)))
    pages = worst.sms.pages
    segments = max(p.cost.segments for p in pages)
    encoding = "U" if any(p.cost.encoding == "UCS-2" for p in pages) else "G"
    extra = f"x{len(pages)}" if len(pages) > 1 else ""
    broken = "!" if any(f.problems for f in forms) else ""
    return f"{segments}{encoding}{extra}{broken}"


def main() -> None:
    """Print the table (response x language) and how many forms break the budget."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--budget", type=int, default=DEFAULT_SEGMENT_BUDGET)
    parser.add_argument("--detail", action="store_true", help="every form, with its problems")
    args = parser.parse_args()
    renderer = build_renderer(project_paths())
    forms: dict[tuple[str, str], list[SmsForm]] = defaultdict(list)
    for form in sms_forms(renderer, budget=args.budget):
        forms[(form.key, form.language)].append(form)
        if args.detail:
            pages = ", ".join(f"{p.cost.segments} {p.cost.encoding}" for p in form.sms.pages)
            where = f"{form.key} {form.language} {form.country} #{form.variation}"
            print(f"{where}: {pages} {form.problems or ''}")
    keys = sorted({key for key, _ in forms})
    print(
        f"budget: {args.budget} segments per SMS, safety answers 1 SMS of {SAFETY_SEGMENT_BUDGET}; "
        f"profiles: {', '.join(sorted(renderer.profiles))}"
    )
    width = max(len(k) for k in keys) - len("utter_") + 1
    print(f"{'response':{width}}" + "".join(f"{lang:>7}" for lang in SUPPORTED_LANGUAGES))
    for key in keys:
        row = "".join(f"{cell(forms[(key, lang)]):>7}" for lang in SUPPORTED_LANGUAGES)
        print(f"{key.removeprefix('utter_'):{width}}" + row)
    all_forms = [f for group in forms.values() for f in group]
    broken = [f for f in all_forms if f.problems]
    paged = [f for f in all_forms if len(f.sms.pages) > 1]
    gsm7 = sum(all(p.cost.encoding == "GSM-7" for p in f.sms.pages) for f in all_forms)
    print(
        f"{len(all_forms)} forms ({len(keys)} responses x {len(SUPPORTED_LANGUAGES)} languages x profiles x "
        f"variations): {len(broken)} over the budget, {len(paged)} in pages, {gsm7} GSM-7"
    )


if __name__ == "__main__":
    main()
