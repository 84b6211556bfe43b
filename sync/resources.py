"""Files the product ships besides its code: the sheet layouts, the bundled example campaign and
its config, and the reference data in `sync/data/`.

In the repository they live at the top level (`sheets_templates/`, `config.yaml`, `examples/`),
the shape officers and maintainers know. Building a wheel copies them into the package as
`sync/_bundled/` (see setup.py), so an installed product finds them there; an editable checkout
has no copy and reads them where they are.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from .errors import ConfigError

BUNDLED_DIR = "_bundled"
# What the build copies into the package, as paths relative to the repository's root.
BUNDLED_ITEMS = ("config.yaml", "sheets_templates", "examples")
# Files under those folders that only the tests and the example generator read.
BUNDLED_SKIP = ("expected.json",)


def _package_dir() -> Path:
    # Installed wheels are plain folders; a zipped package would need extracting first.
    return Path(str(resources.files("sync")))


def bundled_root() -> Path:
    """The folder holding config.yaml, sheets_templates/ and examples/."""
    packaged = _package_dir() / BUNDLED_DIR
    if packaged.is_dir():
        return packaged
    checkout = _package_dir().parent
    if all((checkout / item).exists() for item in BUNDLED_ITEMS):
        return checkout
    raise ConfigError(
        f"{packaged}: the bundled layouts and example are missing; reinstall sangkien-sync"
    )


def bundled_config() -> Path:
    """The bundled example's config.yaml; its paths are relative to it."""
    return bundled_root() / "config.yaml"


def templates_dir() -> Path:
    return bundled_root() / "sheets_templates"


def data_text(name: str) -> str:
    """A reference file from `sync/data/`."""
    return resources.files("sync").joinpath("data", name).read_text(encoding="utf-8")
