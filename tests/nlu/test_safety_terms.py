from __future__ import annotations

import pytest

from bot.nlu.safety_terms import TERM_KEYS, Match, SafetyTerms, apply_safety_net
from tests.factories import PROJECT_ROOT

# Urgent messages written for this test (not copied from the term lists): every
# one must reach a safety answer through the shipped terms alone.
URGENT = {
    "en": [
        "my brother stepped on a mine and is bleeding",
        "i found a grenade in the field",
        "we are in a minefield what do we do",
        "EXPLOSION my friend lost his leg",
        "theres an unexploded bomb in our garden",
    ],
    "fr": [
        "mon frere a marche sur une mine il saigne",
        "jai trouve une grenade dans le champ",
        "on est dans un champ de mines",
        "explosion mon ami est blesse",
        "il y a un obus pas explose dans le jardin",
    ],
    "es": [
        "mi hermano piso una mina y esta sangrando",
        "encontre una granada en la finca",
        "estamos en un campo minado",
        "exploto algo y mi amigo esta herido",
        "hay un artefacto explosivo en el camino",
    ],
    "uk": [
        "брат наступив на міну, кровотеча",
        "я знайшов гранату в полі",
        "ми на мінному полі",
        "вибух, друг поранений",
        "знайшли нерозірваний снаряд у городі",
    ],
    "ar": [
        "اخي داس على لغم وعم ينزف",
        "لقيت قنبلة بالحقل",
        "نحنا بحقل ألغام",
        "صار انفجار ورفيقي مصاب",
        "في قذيفة ما انفجرت بالجنينة",
    ],
    "km": [
        "បងប្រុសខ្ញុំជាន់មីនហូរឈាមច្រើន",
        "ខ្ញុំរកឃើញគ្រាប់បែកដៃនៅវាលស្រែ",
        "យើងនៅក្នុងវាលមីន",
        "គ្រាប់បែកផ្ទុះ មិត្តខ្ញុំរបួស",
        "មានគ្រាប់បែកមិនទាន់ផ្ទុះនៅក្នុងចំការ",
    ],
}


@pytest.fixture(scope="module")
def shipped() -> SafetyTerms:
    return SafetyTerms.load(PROJECT_ROOT / "content" / "safety_net")


@pytest.mark.parametrize("language", sorted(URGENT))
def test_shipped_terms_catch_urgent_messages_in_every_language(shipped, language):
    missed = [text for text in URGENT[language] if shipped.match(text) is None]
    assert missed == []


def test_every_language_has_terms_for_every_safety_intent():
    import yaml

    for language in URGENT:
        data = yaml.safe_load(
            (PROJECT_ROOT / "content" / "safety_net" / f"{language}.yml").read_text(encoding="utf-8")
        )
        assert set(data) == set(TERM_KEYS), language
        assert all(len(data[key]) >= 5 for key in TERM_KEYS), language


def test_terms_match_at_word_starts_in_spaced_scripts():
    terms = SafetyTerms({"found_object": ["mine"], "someone_injured": ["bleeding"], "in_hazard_area": []})
    assert terms.match("MINES everywhere").intent == "found_object"
    assert terms.match("we must examine this") is None
    assert terms.match("he is bleeding near a mine").intent == "someone_injured"  # most urgent wins


def test_khmer_and_arabic_terms_match_inside_words():
    terms = SafetyTerms({"found_object": ["មីន", "لغم"], "someone_injured": [], "in_hazard_area": []})
    assert terms.match("ឃើញមីនមួយ").term == "មីន"
    assert terms.match("ولغم هون").term == "لغم"


def test_unsure_or_wrong_predictions_are_overridden():
    match = SafetyTerms({"found_object": ["grenade"]}).match("a grenade")
    assert apply_safety_net({"name": "greet", "confidence": 0.99}, match, 0.8) == {
        "name": "found_object",
        "confidence": 1.0,
    }
    # a safety prediction is never downgraded to a less urgent answer, but an urgent term confirms it
    assert apply_safety_net({"name": "someone_injured", "confidence": 0.5}, match, 0.8) == {
        "name": "someone_injured",
        "confidence": 1.0,
    }
    injured = SafetyTerms({"someone_injured": ["bleeding"]}).match("bleeding")
    assert (
        apply_safety_net({"name": "found_object", "confidence": 0.5}, injured, 0.8)["name"]
        == "someone_injured"
    )
    assert apply_safety_net({"name": "found_object", "confidence": 0.9}, injured, 0.8) is None
    assert apply_safety_net({"name": "someone_injured", "confidence": 0.9}, match, 0.8) is None
    assert apply_safety_net({"name": "greet", "confidence": 0.99}, None, 0.8) is None


def test_bare_danger_words_count_only_when_short_or_unsure():
    terms = SafetyTerms({"danger_words": ["mine", "لغم"], "someone_injured": ["bleeding"]})
    alone = terms.match("MINE!!")
    assert alone is not None and not alone.urgent and alone.alone
    sure_other = {"name": "ask_object_types", "confidence": 0.95}
    assert apply_safety_net(sure_other, alone, 0.8) == {"name": "found_object", "confidence": 1.0}
    long = terms.match("what is the difference between a mine and a bomb")
    assert apply_safety_net(sure_other, long, 0.8) is None
    assert apply_safety_net({"name": "nlu_fallback", "confidence": 0.3}, long, 0.8)["name"] == "found_object"
    assert (
        apply_safety_net({"name": "ask_object_types", "confidence": 0.5}, long, 0.8)["name"] == "found_object"
    )
    assert terms.match("لغم!!").alone and not terms.match("لغم هون").alone
    # an urgent term beats a danger word and always counts
    urgent = terms.match("he is bleeding, there was a mine and we talked about it for a long time")
    assert urgent.intent == "someone_injured" and apply_safety_net(sure_other, urgent, 0.8) is not None


def test_a_broken_term_file_is_skipped_not_fatal(tmp_path):
    (tmp_path / "en.yml").write_text("someone_injured:\n  - bleeding\n", encoding="utf-8")
    (tmp_path / "fr.yml").write_text("found_object: [unclosed\n", encoding="utf-8")
    (tmp_path / "es.yml").write_text("- just a list\n", encoding="utf-8")
    terms = SafetyTerms.load(tmp_path)
    assert terms.match("he is bleeding").intent == "someone_injured"


def test_safety_intents_close_to_the_top_together_get_the_safety_answer():
    # "fragments of a drone with its warhead lying in the field": NLU hesitates
    # between a question and two safety answers, which together weigh more.
    split = [
        {"name": "ask_object_types", "confidence": 0.36},
        {"name": "in_hazard_area", "confidence": 0.21},
        {"name": "found_object", "confidence": 0.19},
    ]
    # the confidence is the safety intents' total, not a term's 1.0
    assert apply_safety_net(split[0], None, 0.8, ranking=split) == {
        "name": "in_hazard_area",
        "confidence": pytest.approx(0.40),
    }
    # close, but under the share: NLU is kept
    assert apply_safety_net(split[0], None, 0.8, ranking=split, urgent_share=2.2) is None
    # a clear question with a faint safety intent behind it
    clear = [{"name": "ask_object_types", "confidence": 0.9}, {"name": "found_object", "confidence": 0.05}]
    assert apply_safety_net(clear[0], None, 0.8, ranking=clear) is None
    # the fallback entry in front is not the top intent
    unsure = [{"name": "nlu_fallback", "confidence": 0.25}, *split]
    assert apply_safety_net(unsure[0], None, 0.8, ranking=unsure)["name"] == "in_hazard_area"


def test_a_safety_prediction_is_never_changed_by_the_ranking():
    ranking = [{"name": "found_object", "confidence": 0.4}, {"name": "someone_injured", "confidence": 0.35}]
    assert apply_safety_net(ranking[0], None, 0.8, ranking=ranking) is None


def test_a_danger_word_nlu_is_sure_about_still_gets_the_share_rule():
    word = Match("found_object", "bomb", urgent=False, alone=False)
    sure_other = {"name": "ask_object_types", "confidence": 0.5}
    contender = [sure_other, {"name": "someone_injured", "confidence": 0.45}]
    assert apply_safety_net(sure_other, word, 0.8, 0.2, contender) == {
        "name": "someone_injured",
        "confidence": pytest.approx(0.45),
    }
    weak = [{"name": "ask_object_types", "confidence": 0.95}, {"name": "found_object", "confidence": 0.03}]
    assert apply_safety_net(weak[0], word, 0.8, 0.2, weak) is None


def test_a_bomb_symbol_alone_is_a_danger_word(shipped):
    for text in ("💣", "💣💣!!", "🧨"):
        match = shipped.match(text)
        assert match is not None and match.alone and match.intent == "found_object", text
    assert not shipped.match("there is a 💣 emoji in my phone").alone


def test_a_protection_concern_is_never_turned_into_mine_advice_by_the_ranking():
    # "a group of armed men is coming up the road": NLU sees an armed attack, with
    # safety intents behind it that together passed the share rule.
    attack = [
        {"name": "protection_concern", "confidence": 0.46},
        {"name": "found_object", "confidence": 0.19},
        {"name": "someone_injured", "confidence": 0.17},
    ]
    assert apply_safety_net(attack[0], None, 0.8, 0.2, attack, 0.6) is None
    # the same ranking for a question still gets the safety answer
    question = [{"name": "ask_object_types", "confidence": 0.46}, *attack[1:]]
    assert apply_safety_net(question[0], None, 0.8, 0.2, question, 0.6)["name"] == "found_object"
    # a danger word ("cluster bomblets lying around after the shelling") lets the ranking decide again
    word = Match("found_object", "bomblet", urgent=False, alone=False)
    assert apply_safety_net(attack[0], word, 0.8, 0.2, attack, 0.6)["name"] == "found_object"


def test_a_mine_term_moves_an_unsure_protection_concern_to_the_safety_answer():
    stepped = Match("someone_injured", "stepped on a mine")
    unsure = {"name": "protection_concern", "confidence": 0.5}
    assert apply_safety_net(unsure, stepped, 0.8, 0.2) == {"name": "someone_injured", "confidence": 1.0}
    # NLU sure of a protection concern keeps it
    assert apply_safety_net({"name": "protection_concern", "confidence": 0.9}, stepped, 0.8, 0.2) is None


# Non-mine crises written for this test (not copied from the term lists or the data).
PROTECTION = {
    "en": ["my husband beats me every night", "he raped my sister", "i want to kill myself tonight"],
    "fr": ["mon mari me frappe tous les jours", "ma fille a été violée", "je veux me suicider"],
    "es": ["mi marido me golpea siempre", "violaron a mi hija", "ya no quiero vivir"],
    "uk": ["чоловік б'є мене щодня", "мою сестру зґвалтували", "я хочу покінчити з собою"],
    "ar": ["زوجي يضربني كل يوم", "تعرضت للتحرش بالشارع", "بدي انتحر"],
    "km": ["ប្តីវាយខ្ញុំរាល់ថ្ងៃ", "គេរំលោភកូនស្រីខ្ញុំ", "ខ្ញុំចង់សម្លាប់ខ្លួន"],
}


@pytest.mark.parametrize("language", sorted(PROTECTION))
def test_a_crisis_without_any_mine_term_never_gets_mine_advice(shipped, language):
    found_object = {"name": "found_object", "confidence": 0.7}
    ranking = [found_object, {"name": "protection_concern", "confidence": 0.2}]
    for text in PROTECTION[language]:
        term = shipped.protection(text)
        assert term is not None, text
        assert shipped.match(text) is None, text
        # Even when NLU ranks a mine answer first, the answer is the protection one.
        assert apply_safety_net(found_object, None, 0.8, 0.2, ranking, 0.6, term) == {
            "name": "protection_concern",
            "confidence": 1.0,
        }


def test_a_mine_term_keeps_the_mine_answer_even_with_a_protection_term(shipped):
    text = "soldiers are coming and my brother stepped on a mine"
    match = shipped.match(text)
    assert match is not None and shipped.protection(text) == "soldiers are coming"
    injured = {"name": "someone_injured", "confidence": 0.9}
    assert apply_safety_net(injured, match, 0.8, 0.2, [injured], 0.6, shipped.protection(text)) is None


def test_protection_terms_leave_other_answers_alone(shipped):
    rights = {"name": "ask_survivor_rights", "confidence": 0.7}
    term = shipped.protection("does the law protect me from violence")
    assert term == "violence"
    assert apply_safety_net(rights, None, 0.8, 0.2, [rights], 0.6, term) is None


def test_distress_with_a_protection_term_is_a_crisis_not_first_aid_for_the_mind(shipped):
    # Before: "since the explosion i want to kill myself" got psychological first aid.
    text = "since the explosion i want to kill myself"
    distress = {"name": "ask_psychological_first_aid", "confidence": 0.7}
    term = shipped.protection(text)
    assert term == "kill myself"
    decided = apply_safety_net(distress, shipped.match(text), 0.8, 0.2, [distress], 0.6, term)
    assert decided == {"name": "protection_concern", "confidence": 1.0}
    # Without such a term, distress keeps its first-aid answer.
    calm = "since the explosion i cannot stop shaking"
    assert apply_safety_net(distress, shipped.match(calm), 0.8, 0.2, [distress], 0.6, None) is None
