from __future__ import annotations

from bot.nlu.lookups import LOOKUPS_FILE, annotated_names, render_lookups
from tests.factories import PROJECT_ROOT


def test_lookups_file_is_up_to_date_with_the_annotations():
    nlu_dir = PROJECT_ROOT / "data" / "nlu"
    expected = render_lookups(annotated_names(nlu_dir))
    assert (nlu_dir / LOOKUPS_FILE).read_text(encoding="utf-8") == expected, "run `bot nlu lookups`"


def test_annotated_names_skip_short_ones(tmp_path):
    (tmp_path / "xx.yml").write_text(
        'nlu:\n- intent: set_language\n  examples: |\n    - [ENG]{"entity": "language", "value": "en"}\n'
        '    - in [Français]{"entity": "language", "value": "fr"} please\n',
        encoding="utf-8",
    )
    assert annotated_names(tmp_path) == {"language": {"français"}}
