from __future__ import annotations

import shutil

from bot.paths import ProjectPaths
from bot.training import fingerprint, model_path
from tests.factories import PROJECT_ROOT


def copy_project(tmp_path) -> ProjectPaths:
    for name in ("domain.yml", "config.yml"):
        shutil.copy(PROJECT_ROOT / name, tmp_path / name)
    shutil.copytree(PROJECT_ROOT / "data", tmp_path / "data")
    return ProjectPaths(tmp_path)


def test_wording_changes_do_not_need_retraining(tmp_path):
    paths = copy_project(tmp_path)
    before = fingerprint(paths)
    text = paths.domain.read_text(encoding="utf-8")
    paths.domain.write_text(
        text.replace("Quiz: answer yes or no.", "Quiz! Answer yes or no."), encoding="utf-8"
    )
    assert fingerprint(paths) == before


def test_data_config_and_domain_structure_changes_retrain(tmp_path):
    paths = copy_project(tmp_path)
    seen = {fingerprint(paths)}
    (paths.data / "nlu" / "en.yml").write_text(
        (paths.data / "nlu" / "en.yml").read_text(encoding="utf-8") + "\n", encoding="utf-8"
    )
    seen.add(fingerprint(paths))
    paths.config.write_text(
        paths.config.read_text(encoding="utf-8").replace("epochs: ", "epochs: 1"), encoding="utf-8"
    )
    seen.add(fingerprint(paths))
    paths.domain.write_text(
        paths.domain.read_text(encoding="utf-8").replace("  - next\n", "  - next\n  - nothing\n"),
        encoding="utf-8",
    )
    seen.add(fingerprint(paths))
    assert len(seen) == 4
    assert model_path(paths).name == f"{fingerprint(paths)}.tar.gz"
