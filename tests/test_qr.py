"""`sangkien qr`: the QR code scans back to the form's address and the poster is one A4 page that
renders, in a font that has the Vietnamese letters."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from typer.testing import CliRunner

from sync.cli import app
from sync.config import read_settings
from sync.errors import ConfigError
from sync.qr import PNG_NAME, POSTER_NAME, SVG_NAME, form_url, write_qr_files

URL = "https://docs.google.com/forms/d/e/1FAIpQLSe-example_Đ/viewform?usp=sf_link"


@pytest.fixture
def config(base_config: dict, write_config, tmp_path: Path) -> Path:
    base_config["campaign"]["form_url"] = URL
    base_config["output"] = {"dir": str(tmp_path / "out")}
    return write_config(base_config)


def _decoded(image: Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image)]


def test_png_scans_back_to_the_address(config: Path, tmp_path: Path) -> None:
    written = write_qr_files(read_settings(config))
    assert [p.name for p in written] == [PNG_NAME, SVG_NAME, POSTER_NAME]
    assert all(p.parent == tmp_path / "out" for p in written)
    assert _decoded(Image.open(tmp_path / "out" / PNG_NAME)) == [URL]


def test_svg_is_an_svg(config: Path, tmp_path: Path) -> None:
    write_qr_files(read_settings(config), tmp_path / "elsewhere")
    text = (tmp_path / "elsewhere" / SVG_NAME).read_text(encoding="utf-8")
    assert text.startswith("<?xml") and "<svg" in text


def test_poster_is_one_a4_page_with_an_embedded_font(config: Path, tmp_path: Path) -> None:
    write_qr_files(read_settings(config))
    data = (tmp_path / "out" / POSTER_NAME).read_bytes()
    assert data.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", data)) == 1
    assert re.search(rb"/MediaBox\s*\[\s*0\.?0*\s+0\.?0*\s+595\.2\d*\s+841\.8\d*\s*\]", data)
    assert b"/FontFile2" in data  # the TrueType font is embedded, not referenced


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler) not installed")
def test_poster_renders_and_its_code_scans(config: Path, tmp_path: Path) -> None:
    write_qr_files(read_settings(config))
    prefix = tmp_path / "page"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "100", str(tmp_path / "out" / POSTER_NAME), str(prefix)],
        check=True,
        capture_output=True,
    )
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) == 1
    page = Image.open(pages[0]).convert("L")
    width, height = page.size
    assert abs(width / height - 210 / 297) < 0.01
    dark = sum(page.histogram()[:128]) / (width * height)
    assert 0.03 < dark < 0.5, dark  # neither blank nor a black page
    assert _decoded(page) == [URL]


def test_missing_address_is_a_config_error(base_config: dict, write_config) -> None:
    base_config["campaign"].pop("form_url", None)
    with pytest.raises(ConfigError, match=r"campaign\.form_url"):
        form_url(read_settings(write_config(base_config)))


def test_cli_writes_the_files(config: Path, tmp_path: Path) -> None:
    out = tmp_path / "qr"
    result = CliRunner().invoke(app, ["qr", "--config", str(config), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted([PNG_NAME, SVG_NAME, POSTER_NAME])
    assert POSTER_NAME in result.output


def test_cli_without_address_exits_with_the_config_code(
    base_config: dict, write_config, tmp_path: Path
) -> None:
    base_config["campaign"].pop("form_url", None)
    config = write_config(base_config)
    result = CliRunner().invoke(app, ["qr", "--config", str(config), "--out", str(tmp_path)])
    assert result.exit_code == ConfigError.exit_code
    assert "campaign.form_url" in result.output


@pytest.mark.parametrize(
    "url",
    ["https://docs.google.com/forms/d/e/EXAMPLE/viewform", "https://forms.example.com/abc"],
)
def test_example_address_is_refused(base_config: dict, write_config, url: str, tmp_path) -> None:
    base_config["campaign"]["form_url"] = url
    with pytest.raises(ConfigError, match="example address"):
        write_qr_files(read_settings(write_config(base_config)), tmp_path / "out")
    assert not (tmp_path / "out").exists()
