"""One bot message as SMS within the segment budget: pages with "More", nothing cut or dropped."""

from bot.sms.compose import MORE_PAYLOAD, compose
from bot.sms.segments import count_segments

BUTTONS = [{"title": f"Option number {n}", "payload": f"/intent_{n}"} for n in range(1, 9)]


def offered(sms):
    """Every payload of every page but "More", in order."""
    return [p for page in sms.pages for p in page.payloads if p != MORE_PAYLOAD]


def test_text_and_menu_fit_untouched():
    sms = compose("Choose:", BUTTONS[:3], budget=3, more_title="More")
    assert sms.body == "Choose:\n1 Option number 1\n2 Option number 2\n3 Option number 3"
    assert sms.payloads == ["/intent_1", "/intent_2", "/intent_3"]
    assert sms.options_dropped == 0 and sms.fits and sms.more == ()


def test_options_that_do_not_fit_go_on_the_next_page_never_dropped():
    # Before: options were dropped from the end until the SMS fitted (5 of these 8 were lost).
    text = "x" * 140
    sms = compose(text, BUTTONS, budget=1, more_title="More")
    assert [page.body for page in sms.pages] == [
        f"{text}\n1 More",
        "1 Option number 1\n2 Option number 2\n3 Option number 3\n4 Option number 4\n"
        "5 Option number 5\n6 Option number 6\n7 Option number 7\n8 Option number 8",
    ]
    assert sms.payloads == [MORE_PAYLOAD]
    assert offered(sms) == [b["payload"] for b in BUTTONS]
    assert sms.options_dropped == 0 and all(page.fits and page.cost.segments == 1 for page in sms.pages)


def test_a_long_text_is_split_at_sentences_never_cut():
    text = "Ne touchez pas. " * 40
    sms = compose(text, BUTTONS[:2], budget=2, more_title="Plus")
    texts = [page.body.rsplit("\n1 Plus", 1)[0] for page in sms.pages[:-1]]
    last_text, menu = sms.pages[-1].body.split("\n", 1)
    assert " ".join([*texts, last_text]) == text.strip()
    assert menu == "1 Option number 1\n2 Option number 2"
    assert [page.payloads for page in sms.pages] == [[MORE_PAYLOAD]] * 2 + [["/intent_1", "/intent_2"]]
    assert all(page.fits and page.cost.segments <= 2 for page in sms.pages)


def test_without_a_more_title_the_pages_have_no_more_option():
    sms = compose("Ne touchez pas. " * 40, [], budget=2)
    assert len(sms.pages) == 3 and all(page.payloads == [] for page in sms.pages)
    assert " ".join(page.body for page in sms.pages) == ("Ne touchez pas. " * 40).strip()


def test_list_lines_stay_whole_and_a_list_number_stays_with_its_sentence():
    text = "STOP.\n1. Warn people nearby. Keep everyone away.\n2. Go back the way you came."
    sms = compose(text * 3, [], budget=1, more_title="More")
    for page in sms.pages:
        assert not page.body.split("\n1 More")[0].endswith(("1.", "2."))
    assert all(page.fits for page in sms.pages)


def test_ucs2_pages_count_utf16_units():
    regions = [{"title": f"Область {n}", "payload": f"/r{n}"} for n in range(25)]
    sms = compose("Яка область? Напишіть номер або назву.", regions, budget=3, more_title="Ще")
    assert all(page.cost.encoding == "UCS-2" and page.cost.segments <= 3 for page in sms.pages)
    assert offered(sms) == [f"/r{n}" for n in range(25)]
    assert len(sms.pages) == 2 and sms.pages[0].body.endswith("\n12 Область 11\n13 Ще")


def test_spanish_and_french_accents_become_gsm7_when_it_saves_segments():
    # Before: one "á" or "ç" made the whole SMS UCS-2 (3 segments instead of 2 here).
    text = "¿Dónde está el niño? Aléjese y avise a los demás. " * 3
    sms = compose(text, [{"title": "Menú", "payload": "/help"}], budget=3, more_title="Más")
    assert sms.body == ("¿Donde esta el niño? Aléjese y avise a los demas. " * 3).strip() + "\n1 Menu"
    assert (sms.cost.encoding, sms.cost.segments) == ("GSM-7", 1)
    french = "Ça ne se déplace pas : ne touchez à rien, reculez et prévenez les autres. « Garçon » "
    sms = compose(french * 2, [], budget=3)
    assert (
        sms.body
        == (
            'Ça ne se déplace pas : ne touchez à rien, reculez et prévenez les autres. " Garcon " ' * 2
        ).strip()
    )
    assert sms.cost.encoding == "GSM-7"


def test_accents_stay_when_they_cost_nothing():
    sms = compose("¿Está bien?", [], budget=3)
    assert sms.body == "¿Está bien?" and sms.cost == count_segments("¿Está bien?")


def test_cyrillic_arabic_and_khmer_are_never_transliterated():
    for text in ("Не торкайтеся. " * 10, "لا تلمسه. " * 10, "កុំប៉ះវា។ " * 10):
        sms = compose(text, [], budget=3, more_title="More")
        assert " ".join(page.body.removesuffix("\n1 More") for page in sms.pages) == text.strip()
        assert sms.cost.encoding == "UCS-2"
