"""The lesson pictures: every drawing renders to a PNG, and `bot content check` reports a picture
without its drawing or its alt text, with file:line (issue 14, "Pictures")."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.content.check import check_all
from bot.content.pictures import PNG_SIGNATURE, png_size, render_pictures, sources_dir
from bot.paths import ProjectPaths
from tests.factories import PROJECT_ROOT, copy_project

DRAWINGS = ["crossed_sticks", "knotted_grass", "official_sign", "red_stones", "ribbons", "stone_pile"]


@pytest.fixture()
def project(tmp_path: Path) -> ProjectPaths:
    """A copy of the project's content that a test may break."""
    return copy_project(tmp_path)


def messages(paths: ProjectPaths) -> list[str]:
    return [str(p) for p in check_all(paths)]


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(needle)


def test_every_drawing_renders_to_a_valid_png(tmp_path):
    written = render_pictures(sources_dir(PROJECT_ROOT), tmp_path)
    assert sorted(p.name for p in written) == [f"{name}.png" for name in DRAWINGS]
    for name in DRAWINGS:
        data = (tmp_path / f"{name}.png").read_bytes()
        assert data.startswith(PNG_SIGNATURE) and len(data) > 1000, name
        assert png_size(data) == (960, 720), name  # the 480x360 drawings at 960 px wide


def test_the_cli_draws_them_and_redraws_only_what_changed(project, capsys):
    output = project.root / "var" / "pictures"
    assert main(["--root", str(project.root), "content", "pictures"]) == 0
    assert f"6 picture(s) in {output}" in capsys.readouterr().out
    assert sorted(p.name for p in output.iterdir()) == [f"{name}.png" for name in DRAWINGS]
    before = {p.name: p.stat().st_mtime_ns for p in output.iterdir()}
    svg = sources_dir(project.root) / "red_stones.svg"
    svg.write_text(svg.read_text(encoding="utf-8").replace("#d62718", "#b01010"), encoding="utf-8")
    assert main(["--root", str(project.root), "content", "pictures"]) == 0
    after = {p.name: p.stat().st_mtime_ns for p in output.iterdir()}
    assert [n for n in sorted(after) if after[n] != before[n]] == ["red_stones.png"]


def test_a_broken_drawing_is_named(project, capsys):
    (sources_dir(project.root) / "ribbons.svg").write_text("<svg", encoding="utf-8")
    assert main(["--root", str(project.root), "content", "pictures"]) == 1
    assert "ribbons.svg: cannot be drawn" in capsys.readouterr().out


def test_a_profile_picture_without_its_drawing_is_reported_with_its_line(project):
    (sources_dir(project.root) / "knotted_grass.svg").unlink()
    path = project.countries / "ukraine.yml"
    line = line_of(path, "warning_pictures:")
    assert (
        f"content/countries/ukraine.yml:{line}: picture 'knotted_grass': no drawing "
        "content/pictures/knotted_grass.svg"
    ) in messages(project)


def test_a_picture_without_alt_text_is_reported(project):
    domain = project.domain
    text = domain.read_text(encoding="utf-8")
    start = text.index("  utter_picture_ribbons:\n")
    end = text.index("\n", text.index("- text:", start)) + 1
    domain.write_text(text[:start] + text[end:], encoding="utf-8")
    found = messages(project)
    line = line_of(project.countries / "colombia.yml", "warning_pictures:")
    assert (
        f"content/countries/colombia.yml:{line}: picture 'ribbons': no alt text "
        "(add the response utter_picture_ribbons to domain.yml)"
    ) in found
    card = line_of(domain, "utter_lesson_signs_2:")
    assert (
        f"domain.yml:{card}: picture 'ribbons': no alt text "
        "(add the response utter_picture_ribbons to domain.yml)" in found
    )


def test_an_untranslated_alt_text_is_reported_per_language(project):
    po = project.locales / "km" / "LC_MESSAGES" / "messages.po"
    text = po.read_text(encoding="utf-8")
    msgid = 'msgid "Grass tied in a knot can be a local danger sign. Keep away."\n'
    start = text.index(msgid) + len(msgid)
    end = text.index("\n", start) + 1
    po.write_text(text[:start] + 'msgstr ""\n' + text[end:], encoding="utf-8")
    line = line_of(project.countries / "cambodia.yml", "warning_pictures:")
    found = messages(project)
    assert (
        f"content/countries/cambodia.yml:{line}: picture 'knotted_grass': no km alt text "
        "(utter_picture_knotted_grass in locales/km/LC_MESSAGES/messages.po)"
    ) in found
    assert not any("no uk alt text" in m or "no ar alt text" in m for m in found)


def test_the_shipped_pictures_are_complete():
    assert not [m for m in messages(ProjectPaths(PROJECT_ROOT)) if "picture" in m]
