"""Build step: the wheel carries the top-level sheets_templates/, config.yaml and examples/ as
package data (`sync/_bundled/`), so that git keeps one copy of each and an installed product
finds them through `sync.resources`. Everything else is declared in pyproject.toml."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))  # the build backend does not put the project on the path

from sync.resources import BUNDLED_DIR, BUNDLED_ITEMS, BUNDLED_SKIP  # noqa: E402


class BuildWithBundle(build_py):
    """build_py, then copy the bundled files into the built package. An editable install skips
    the copy: the package then reads them from the checkout."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "sync" / BUNDLED_DIR
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        for item in BUNDLED_ITEMS:
            source = ROOT / item
            if source.is_dir():
                shutil.copytree(source, target / item, ignore=shutil.ignore_patterns(*BUNDLED_SKIP))
            else:
                shutil.copy2(source, target / item)


setup(cmdclass={"build_py": BuildWithBundle})
