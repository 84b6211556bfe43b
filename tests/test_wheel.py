"""The product as a user installs it: a wheel built from the repository, installed alone into a
fresh virtual environment (its dependencies from the package registry), runs `sangkien init`,
`check` and `sync` on the bundled example, and carries none of the dev-only packages."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# What a build reads; a copy keeps the checkout's own build/ folder (and anything stale in it)
# out of the wheel.
BUILD_INPUTS = (
    "pyproject.toml",
    "setup.py",
    "MANIFEST.in",
    "README.md",
    "sync",
    "config.yaml",
    "sheets_templates",
    "examples",
)
DEV_PACKAGES = ("emulator/", "examplegen/", "tests/", "benchmarks/")


def _run(command: list[str | Path], cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=900,
    )


def _ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("source")
    for name in BUILD_INPUTS:
        if (REPO / name).is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "_bundled")
            shutil.copytree(REPO / name, source / name, ignore=ignore)
        else:
            shutil.copy2(REPO / name, source / name)
    dist = tmp_path_factory.mktemp("dist")
    _ok(_run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", dist, source], source))
    [built] = dist.glob("sangkien_sync-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The `sangkien` command of a fresh environment holding only the wheel and its
    dependencies."""
    environment = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=True).create(environment)
    bin_dir = environment / ("Scripts" if os.name == "nt" else "bin")
    _ok(_run([bin_dir / "python", "-m", "pip", "install", "-q", wheel], environment))
    return bin_dir / "sangkien"


def test_wheel_carries_the_bundle_and_no_dev_packages(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert not [name for name in names if name.startswith(DEV_PACKAGES)]
    for bundled in (
        "config.yaml",
        "sheets_templates/outputs.yaml",
        "examples/dien-bien-2021/units.csv",
    ):
        assert f"sync/_bundled/{bundled}" in names
    assert "sync/data/abbreviations.yaml" in names


def test_installed_wheel_inits_checks_and_syncs(installed: Path, tmp_path: Path) -> None:
    folder = tmp_path / "campaign"
    _ok(_run([installed, "init", folder], tmp_path))
    config = folder / "config.yaml"
    assert _run([installed, "check", "--config", config], tmp_path).returncode == 0
    _ok(_run([installed, "sync", "--config", config], tmp_path))
    workbooks = list((folder / "output").rglob("*.xlsx"))
    assert len(workbooks) > 10
    assert (folder / "output" / "sync-report.json").is_file()
