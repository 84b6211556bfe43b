"""`sangkien init`: a ready-to-edit campaign folder, made from the bundled example.

The folder holds config.yaml (the bundled one, with the new values and bilingual comments), the
organisation tree as units.xlsx for officers to fill in, and the example's response files, so the
first `sangkien doctor` and `sangkien sync` work before anything is edited.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import xlsxwriter
import yaml

from .config import parse_moment, read_settings
from .errors import ConfigError, writing
from .orgtree import KINDS, UNITS_HEADER, OrgTree, Unit, load_tree
from .resources import bundled_config
from .writers.atomic import atomic_file, write_text_atomic

UNITS_FILE = "units.xlsx"
RESPONSES_DIR = "responses"
UNITS_SHEET = "Đơn vị"
GUIDE_SHEET = "Hướng dẫn"

HEADER = """\
# Cấu hình sangkien-sync cho một đợt phát động. Sửa các giá trị bên dưới; giữ nguyên thụt lề.
# Kiểm tra sau khi sửa:  sangkien doctor --config config.yaml
# sangkien-sync configuration for one campaign. Paths are relative to this file.
# Check it after every edit:  sangkien doctor --config config.yaml
"""

# A Vietnamese note above each top-level section, for the officer who edits the file.
SECTION_NOTES = {
    "campaign": "Đợt phát động: tên, tỉnh, thời điểm đóng biểu mẫu, thời gian áp dụng, hạn hồ sơ.",
    "fields": "Các lĩnh vực, ghi đúng như các lựa chọn trong biểu mẫu.",
    "sectors": "Các khối, ghi đúng như các lựa chọn trong biểu mẫu.",
    "units": "Cây tổ chức công đoàn: mở units.xlsx để sửa đơn vị, cấp trên, chỉ tiêu.",
    "sources": "Nguồn câu trả lời: tệp tải từ Google Biểu mẫu (xlsx, csv) hoặc Google Trang tính.",
    "output": "Nơi ghi kết quả: thư mục chứa sổ tính của từng công đoàn.",
    "column_aliases": "Tên cột khác mà biểu mẫu cũ dùng cho cùng một câu hỏi.",
    "google": "Kết nối Google: tệp khóa tài khoản dịch vụ, thư mục Drive.",
    "unit_match": "Mức giống nhau (0–100) để gợi ý tên đơn vị khi tên gõ vào không khớp.",
    "dossier": "Tờ trình: địa danh và người ký (chức vụ, họ tên) của từng đơn vị.",
}

# What each column of units.xlsx holds: (column, Vietnamese, English).
UNITS_GUIDE = (
    ("id", "Mã đơn vị, không trùng nhau", "Unique unit id"),
    ("parent_id", "Mã của công đoàn cấp trên trực tiếp; để trống cho LĐLĐ tỉnh", "Parent's id"),
    ("kind", "Loại: " + ", ".join(KINDS), "Kind of unit"),
    ("name", "Tên chính thức", "Official name"),
    ("aliases", "Tên gọi khác, cách nhau bởi dấu ;", "Other names, separated by ;"),
    ("members", "Số đoàn viên", "Number of members"),
    ("officer_emails", "Email cán bộ phụ trách, cách nhau bởi dấu ;", "Officers' e-mails"),
    ("quota", "Số sáng kiến được đề xuất lên cấp trên", "How many it may nominate upward"),
)
COLUMN_WIDTHS = {"id": 16, "parent_id": 12, "kind": 13, "name": 52, "aliases": 52}


def _folder_is_free(folder: Path, force: bool) -> None:
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"{folder}: exists and is not a folder")
    if folder.is_dir() and any(folder.iterdir()) and not force:
        raise ConfigError(
            f"{folder}: the folder is not empty; choose a new folder or add --force to overwrite "
            "the campaign files in it"
        )


def _replace_line(text: str, key: str, value: str, expected: int = 1) -> str:
    """Set `key: value` on its line, dropping the line's comment (it described the old value)."""
    pattern = re.compile(rf"^(\s*{re.escape(key)}:)[^\n]*$", re.MULTILINE)
    new, count = pattern.subn(lambda m: f"{m.group(1)} {value}", text)
    if count != expected:
        raise ConfigError(
            f"bundled config.yaml: expected {expected} `{key}:` line(s), found {count}"
        )
    return new


def _replace_value(text: str, key: str, old: str, new: str) -> str:
    pattern = re.compile(rf"^(\s*{re.escape(key)}:\s*){re.escape(old)}\b", re.MULTILINE)
    result, count = pattern.subn(lambda m: m.group(1) + new, text)
    if count != 1:
        raise ConfigError(f"bundled config.yaml: expected one `{key}: {old}` line, found {count}")
    return result


def _with_notes(text: str) -> str:
    """Drop the example's own header and put a bilingual header and section notes in."""
    lines = text.splitlines()
    while lines and (lines[0].startswith("#") or not lines[0].strip()):
        lines.pop(0)
    out: list[str] = []
    for line in lines:
        key = line.split(":", 1)[0]
        if key in SECTION_NOTES and not line.startswith((" ", "#")):
            out.append(f"# {SECTION_NOTES[key]}")
        out.append(line)
    return HEADER + "\n".join(out) + "\n"


def config_text(
    bundled_text: str,
    sources: dict[str, str],
    province: str | None,
    closes: str | None,
) -> str:
    """The new config.yaml: the bundled text with the new values. `sources` maps each source's
    path as written in the bundled config to its path in the new folder."""
    text = _with_notes(bundled_text)
    if province is not None:
        text = _replace_line(text, "province", _yaml_string(province))
    if closes is not None:
        text = _replace_line(text, "form_closes_at", _yaml_string(closes))
    data = yaml.safe_load(bundled_text)
    text = _replace_value(text, "units", str(data["units"]), UNITS_FILE)
    for old, new in sources.items():
        text = _replace_value(text, "path", old, new)
    return text


def _yaml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a YAML double-quoted one


# -- units.xlsx ----------------------------------------------------------------------------------


def _unit_row(unit: Unit) -> list[Any]:
    return [
        unit.id,
        unit.parent_id or "",
        unit.kind,
        unit.name,
        ";".join(unit.aliases),
        unit.members if unit.members is not None else "",
        ";".join(unit.officer_emails),
        unit.quota if unit.quota is not None else "",
    ]


def write_units_workbook(tree: OrgTree, path: Path) -> None:
    """The tree as a spreadsheet officers can fill in; its first sheet is what load_tree reads."""
    workbook = xlsxwriter.Workbook(str(path))
    header = workbook.add_format(
        {"bold": True, "bg_color": "#1F4E79", "font_color": "#FFFFFF", "border": 1}
    )
    sheet = workbook.add_worksheet(UNITS_SHEET)
    sheet.write_row(0, 0, UNITS_HEADER, header)
    units = list(tree)
    for row, unit in enumerate(units, start=1):
        sheet.write_row(row, 0, _unit_row(unit))
    for column, name in enumerate(UNITS_HEADER):
        sheet.set_column(column, column, COLUMN_WIDTHS.get(name, 14))
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, len(units), len(UNITS_HEADER) - 1)
    kind_column = UNITS_HEADER.index("kind")
    # A wrong kind is a load error; a dropdown prevents most of them.
    sheet.data_validation(
        1, kind_column, 10_000, kind_column, {"validate": "list", "source": list(KINDS)}
    )
    guide = workbook.add_worksheet(GUIDE_SHEET)
    guide.write_row(0, 0, ("Cột / column", "Ý nghĩa", "Meaning"), header)
    for row, entry in enumerate(UNITS_GUIDE, start=1):
        guide.write_row(row, 0, entry)
    guide.set_column(0, 0, 16)
    guide.set_column(1, 2, 60)
    workbook.close()


# -- the folder ----------------------------------------------------------------------------------


def init_campaign(
    folder: Path,
    *,
    province: str | None = None,
    closes: str | None = None,
    force: bool = False,
) -> list[Path]:
    """Write a campaign folder from the bundled example; returns the files written. Refuses a
    non-empty folder unless `force`, and then only overwrites its own files."""
    bundled = bundled_config()
    _folder_is_free(folder, force)
    if closes is not None:
        try:
            parse_moment(closes)
        except ValueError as exc:
            raise ConfigError(f"--closes: {exc}") from None
    settings = read_settings(bundled)
    tree = load_tree(settings.units)
    raw_sources = yaml.safe_load(bundled.read_text(encoding="utf-8"))["sources"]
    copies: dict[Path, Path] = {}
    renamed: dict[str, str] = {}
    for raw, source in zip(raw_sources, settings.sources, strict=True):
        if source.path is None:  # a Google sheet: nothing to copy
            continue
        target = f"{RESPONSES_DIR}/{source.path.name}"
        copies[source.path] = folder / target
        renamed[str(raw["path"])] = target
    missing = [str(p) for p in copies if not p.is_file()]
    if missing:
        raise ConfigError(f"example response file(s) not found: {', '.join(missing)}")
    text = config_text(bundled.read_text(encoding="utf-8"), renamed, province, closes)
    config_path = folder / "config.yaml"
    with writing(folder):
        (folder / RESPONSES_DIR).mkdir(parents=True, exist_ok=True)
        write_text_atomic(config_path, text)
        with atomic_file(folder / UNITS_FILE) as units_path:
            write_units_workbook(tree, units_path)
        for source_path, target in copies.items():
            with atomic_file(target) as copy:
                shutil.copyfile(source_path, copy)
    read_settings(config_path)  # the new folder must load as it stands
    return [config_path, folder / UNITS_FILE, *copies.values()]
