from __future__ import annotations

import shutil
import threading
from pathlib import Path

import yaml

from bot import training
from bot.paths import ProjectPaths
from bot.training import COMPONENT_CODE, fingerprint, model_path
from tests.factories import PROJECT_ROOT


def copy_project(tmp_path: Path) -> ProjectPaths:
    tmp_path.mkdir(parents=True, exist_ok=True)
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


def copy_code(tmp_path) -> tuple[Path, ...]:
    """A copy of the custom components' folders (bot/nlu, bot/policies) to edit."""
    copies = tuple(tmp_path / "code" / folder.name for folder in COMPONENT_CODE)
    for folder, copy in zip(COMPONENT_CODE, copies, strict=True):
        shutil.copytree(folder, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copies


def test_component_and_policy_code_changes_retrain(tmp_path):
    paths = copy_project(tmp_path / "project")
    nlu, policies = copy_code(tmp_path)
    seen = {fingerprint(paths, (nlu, policies))}
    (nlu / "safety_terms.py").write_text(
        (nlu / "safety_terms.py").read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8"
    )
    seen.add(fingerprint(paths, (nlu, policies)))
    (policies / "safety.py").write_text(
        (policies / "safety.py").read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8"
    )
    seen.add(fingerprint(paths, (nlu, policies)))
    (nlu / "new_component.py").write_text("", encoding="utf-8")
    seen.add(fingerprint(paths, (nlu, policies)))
    assert len(seen) == 4


def test_the_same_code_elsewhere_has_the_same_fingerprint(tmp_path):
    paths = copy_project(tmp_path / "project")
    assert fingerprint(paths, copy_code(tmp_path)) == fingerprint(paths)


def test_every_custom_component_in_config_is_fingerprinted():
    config = yaml.safe_load((PROJECT_ROOT / "config.yml").read_text(encoding="utf-8"))
    names = [item["name"] for key in ("pipeline", "policies") for item in config[key]]
    modules = sorted({name.rsplit(".", 1)[0] for name in names if "." in name})
    assert modules == [
        "bot.nlu.keyword_intents",
        "bot.nlu.linear_classifier",
        "bot.nlu.needs",
        "bot.nlu.safety_net",
        "bot.nlu.tokenizer",
        "bot.policies.confirmation",
        "bot.policies.country_cards",
        "bot.policies.safety",
    ]
    for module in modules:
        file = PROJECT_ROOT.joinpath(*module.split(".")).with_suffix(".py")
        assert file.is_file()
        assert file.parent in COMPONENT_CODE


def test_callers_at_once_train_once_and_never_see_a_half_written_model(tmp_path, monkeypatch):
    paths = ProjectPaths(tmp_path)
    target = tmp_path / "models" / "abc.tar.gz"
    monkeypatch.setattr(training, "model_path", lambda _paths: target)
    calls: list[str] = []
    started, release = threading.Event(), threading.Event()

    def fake_train(_paths: ProjectPaths, out: Path, name: str) -> None:
        calls.append(name)
        started.set()
        (out / f"{name}.tar.gz").write_bytes(b"half")
        assert not target.exists()  # the archive is written elsewhere, then moved in whole
        release.wait(30)
        (out / f"{name}.tar.gz").write_bytes(b"model")

    monkeypatch.setattr(training, "_train", fake_train)
    results: list[Path] = []
    first = threading.Thread(target=lambda: results.append(training.ensure_model(paths)))
    first.start()
    assert started.wait(30)
    second = threading.Thread(target=lambda: results.append(training.ensure_model(paths)))
    second.start()
    release.set()
    first.join(30)
    second.join(30)
    assert (calls, results, target.read_bytes()) == (["abc"], [target, target], b"model")
    assert sorted(p.name for p in target.parent.iterdir()) == [".train.lock", "abc.tar.gz"]
