"""The kind of help a message asks for, in every language."""

import pytest

from bot.services.categories import CATEGORIES
from bot.services.needs import category_from_text, load_needs
from tests.factories import PROJECT_ROOT

NEEDS = load_needs(PROJECT_ROOT / "content" / "service_needs.yml")


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("I lost my leg", "rehabilitation"),
        ("J'ai perdu ma jambe", "rehabilitation"),
        ("Perdí mi pierna, necesito una prótesis", "rehabilitation"),
        ("Я втратив ногу", "rehabilitation"),
        ("فقدت ساقي", "rehabilitation"),
        ("ខ្ញុំបាត់ជើង", "rehabilitation"),
        ("I need a lawyer", "legal"),
        ("my son cannot go to school", "education"),
        ("Necesito trabajo", "economic_inclusion"),
        ("У мене кошмари", "psychosocial"),
    ],
)
def test_need_is_understood(text, category):
    assert category_from_text(text, NEEDS) == category


def test_no_need_words_gives_none_and_every_category_has_words():
    assert category_from_text("hello", NEEDS) is None
    assert set(NEEDS) == set(CATEGORIES) and all(NEEDS.values())
