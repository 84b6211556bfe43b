"""The form's address as a QR code (PNG and SVG) and a printable A4 poster (PDF).

People reach the form by scanning the code with a phone camera or Zalo (D3), so the poster
carries the code large, the deadline, and the address written out for those who type it.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

import segno
from fpdf import FPDF

from .config import Settings
from .errors import ConfigError
from .form import deadline_words
from .orgtree import load_tree
from .paths import output_path
from .writers.atomic import atomic_file

# Be Vietnam Pro is designed for Vietnamese and ships as a PyPI package, so the poster renders
# the same on any machine without system fonts.
FONT_PACKAGE = "fontpkg_be_vietnam_pro"
FONT_FILES = {"": "BeVietnamPro-Regular.ttf", "B": "BeVietnamPro-Bold.ttf"}
FONT_FAMILY = "BeVietnamPro"

PNG_NAME = "form-qr.png"
SVG_NAME = "form-qr.svg"
POSTER_NAME = "form-poster.pdf"

# "M" recovers from ~15 % damage: enough for a printed, folded, pinned-up sheet while keeping
# the modules large for old phone cameras.
ERROR_LEVEL = "m"
PNG_SCALE = 12  # pixels per module
QR_SIZE_MM = 120


# Hosts reserved for examples (RFC 2606) and the placeholder form id of the bundled config.
_EXAMPLE_HOSTS = ("example.com", "example.net", "example.org")
_EXAMPLE_ID = "example"


def is_example_address(url: str) -> bool:
    """The bundled config's placeholder (…/forms/d/e/EXAMPLE/viewform) or an example domain:
    a poster for it would send workers nowhere."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    on_example_host = host in _EXAMPLE_HOSTS or host.endswith((".example", *_EXAMPLE_HOSTS))
    return on_example_host or _EXAMPLE_ID in parts.path.lower().split("/")


def form_url(settings: Settings) -> str:
    url = (settings.campaign.form_url or "").strip()
    where = "the link Google Forms shows under Send > link"
    if not url:
        raise ConfigError(
            f"campaign.form_url is not set: put the form's address ({where}) in config.yaml, "
            'e.g. form_url: "https://forms.gle/..."'
        )
    if is_example_address(url):
        raise ConfigError(
            f"campaign.form_url is still the example address {url}: put your form's address "
            f"({where}) in config.yaml"
        )
    return url


def make_code(url: str) -> segno.QRCode:
    return segno.make(url, error=ERROR_LEVEL, micro=False)


def png_bytes(code: segno.QRCode, scale: int = PNG_SCALE) -> bytes:
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def svg_bytes(code: segno.QRCode) -> bytes:
    buffer = io.BytesIO()
    # The SVG is meant for designers and print shops: whole-millimetre modules, no fixed size.
    code.save(buffer, kind="svg", scale=1, border=4, unit="mm", xmldecl=True, svgns=True)
    return buffer.getvalue()


@contextmanager
def _font_files() -> Iterator[dict[str, Path]]:
    try:
        folder = resources.files(FONT_PACKAGE) / "files"
    except ModuleNotFoundError:
        raise ConfigError(
            f"the poster font package is missing; install it with: pip install "
            f"{FONT_PACKAGE.replace('_', '-')}"
        ) from None
    with ExitStack() as stack:
        yield {
            style: stack.enter_context(resources.as_file(folder / name))
            for style, name in FONT_FILES.items()
        }


# Poster words. Vietnamese: the poster hangs in offices and factories.
SCAN_TEXT = "Quét mã QR để gửi sáng kiến"
ADDRESS_TEXT = "Hoặc mở địa chỉ:"
HOW_TEXT = "Quét bằng camera điện thoại (iPhone) hoặc ứng dụng Zalo (Android)."


def _issuer(settings: Settings) -> str:
    """The provincial federation's own name, from the tree; the province name if it is unset."""
    try:
        return load_tree(settings.units).root.name
    except ConfigError:
        return settings.campaign.province


def poster_pdf(settings: Settings, url: str, code: segno.QRCode) -> bytes:
    campaign = settings.campaign
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_auto_page_break(False)  # the poster is one page by design; overflow is a bug
    pdf.set_margins(20, 18, 20)
    pdf.set_title(campaign.name)
    pdf.set_creator("sangkien-sync")
    with _font_files() as fonts:
        for style, path in fonts.items():
            pdf.add_font(FONT_FAMILY, style=style, fname=str(path))
        pdf.add_page()
        _poster_body(pdf, settings, url, code)
        return bytes(pdf.output())


def _centered(pdf: FPDF, text: str, size: float, style: str = "", height: float = 0) -> None:
    pdf.set_font(FONT_FAMILY, style, size)
    line = height or size * 0.5
    pdf.multi_cell(0, line, text, align="C", new_x="LMARGIN", new_y="NEXT")


def _poster_body(pdf: FPDF, settings: Settings, url: str, code: segno.QRCode) -> None:
    campaign = settings.campaign
    _centered(pdf, _issuer(settings).upper(), 13, "B")
    pdf.ln(6)
    _centered(pdf, campaign.name, 26, "B", height=12)
    pdf.ln(6)
    _centered(pdf, SCAN_TEXT, 17)
    pdf.ln(3)
    left = (pdf.w - QR_SIZE_MM) / 2
    pdf.image(io.BytesIO(png_bytes(code)), x=left, y=pdf.get_y(), w=QR_SIZE_MM, h=QR_SIZE_MM)
    pdf.set_y(pdf.get_y() + QR_SIZE_MM + 4)
    pdf.set_text_color(176, 0, 0)
    _centered(pdf, f"Hạn cuối: {deadline_words(campaign)}", 18, "B")
    pdf.set_text_color(0, 0, 0)
    pdf.ln(5)
    _centered(pdf, ADDRESS_TEXT, 12)
    pdf.set_font(FONT_FAMILY, "B", 12)
    # An address has no spaces to break at; wrap it anywhere rather than run off the page.
    pdf.multi_cell(0, 6, url, align="C", wrapmode="CHAR", new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(pdf.h - 28)
    _centered(pdf, HOW_TEXT, 11)


def _write(path: Path, data: bytes) -> None:
    with atomic_file(path) as temporary:
        temporary.write_bytes(data)


def write_qr_files(settings: Settings, out_dir: Path | None = None) -> list[Path]:
    """Write the QR code (PNG, SVG) and the A4 poster (PDF) into `out_dir` (default: the
    configured output folder); returns the paths written."""
    url = form_url(settings)
    code = make_code(url)
    folder = out_dir or settings.output.dir
    files = {
        output_path(folder, PNG_NAME): png_bytes(code),
        output_path(folder, SVG_NAME): svg_bytes(code),
        output_path(folder, POSTER_NAME): poster_pdf(settings, url, code),
    }
    for path, data in files.items():
        _write(path, data)
    return list(files)
