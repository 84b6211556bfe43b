"""The README documents every violation code and every command (and the report's keys)."""

import importlib.util
import json
import re
from pathlib import Path

import pytest
from typer.main import get_command

from sync.cli import app
from sync.rules.codes import REGISTRY

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
GUIDE = (ROOT / "docs" / "huong-dan-can-bo.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("code_id", sorted(REGISTRY))
def test_every_code_is_in_the_readme_table(code_id: str) -> None:
    assert re.search(rf"^\| `{code_id}` \|", README, re.MULTILINE), code_id


@pytest.mark.parametrize("code_id", sorted(REGISTRY))
def test_every_code_is_explained_in_the_officers_guide(code_id: str) -> None:
    assert f"`{code_id}`" in GUIDE, code_id


@pytest.mark.parametrize("command", sorted(get_command(app).commands))  # type: ignore[attr-defined]
def test_every_command_is_documented(command: str) -> None:
    assert f"`sangkien {command}" in README, command


@pytest.mark.parametrize(
    "key",
    ["generated_at", "sources", "responses", "tallies", "duplicate_of", "similar_to", "unit_id",
     "received", "authors", "by_field", "by_sector", "by_code", "benefit_vnd"],
)  # fmt: skip
def test_report_keys_are_documented(key: str) -> None:
    assert f'"{key}"' in README


def _module_table() -> str:
    start = README.index("| module | does one thing |")
    return README[start : README.index("\n\n", start)]


MODULES = sorted(
    path.relative_to(ROOT).as_posix()
    for path in (ROOT / "sync").rglob("*.py")
    if path.name not in {"__init__.py", "__main__.py"}
)


@pytest.mark.parametrize("module", MODULES)
def test_every_module_is_in_the_readme_module_table(module: str) -> None:
    table = _module_table()
    package, _, name = module.rpartition("/")
    row = next((r for r in table.splitlines() if r.startswith(f"| `{package}/` |")), "")
    assert f"`{module}`" in table or f"`{name}`" in row, module


def test_the_module_table_names_no_missing_module() -> None:
    for row in _module_table().splitlines()[2:]:
        first, rest = row.split(" | ", 1)
        for named in re.findall(r"`(sync/[\w/]+\.py)`", first):
            assert (ROOT / named).is_file(), named
        if first.endswith("/`"):
            package = ROOT / first.strip("| `")
            for name in re.findall(r"`(\w+\.py)`", rest):
                assert (package / name).is_file(), f"{package.name}/{name}"


def _screenshot_maker():
    spec = importlib.util.spec_from_file_location("make", ROOT / "docs" / "img" / "make.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_screenshot_is_made_from_the_current_layouts() -> None:
    """The images were regenerated (docs/img/make.py) after the layouts or the code drawing
    them last changed."""
    make = _screenshot_maker()
    manifest = json.loads((ROOT / "docs" / "img" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["sources"] == make.digest(), "run: .venv/bin/python docs/img/make.py"
    assert manifest["images"] == sorted(make.SHOTS)
    for image in manifest["images"]:
        assert (ROOT / "docs" / "img" / image).is_file(), image
        assert f"img/{image}" in GUIDE, image


def test_every_image_the_docs_show_exists() -> None:
    shown = re.findall(r"\]\((?:docs/)?(img/[^)]+)\)", GUIDE + README)
    assert shown
    assert [name for name in shown if not (ROOT / "docs" / name).is_file()] == []
