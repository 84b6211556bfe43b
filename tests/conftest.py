"""Shared fixtures: small campaigns written to tmp_path, so each test owns its files."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import settings

from sync.orgtree import UNITS_HEADER

# The README's test command draws the same examples on every run, so a red build is the change's
# doing and fails again the same way; `--hypothesis-profile=explore` searches with fresh seeds.
settings.register_profile("repeatable", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", derandomize=False, print_blob=True)
settings.load_profile("repeatable")

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "dien-bien-2021"

TREE = [
    ("P", "", "province", "Liên đoàn Lao động tỉnh Điện Biên", "LĐLĐ tỉnh", "", "", "4"),
    ("P.TG", "P", "district", "Liên đoàn Lao động huyện Tuần Giáo", "LĐLĐ huyện Tuần Giáo",
     "", "", "5"),
    ("P.MA", "P", "district", "Liên đoàn Lao động huyện Mường Ảng", "LĐLĐ huyện Mường Ảng",
     "", "", "5"),
    ("P.GD", "P", "sector", "Công đoàn Giáo dục tỉnh", "CĐ Giáo dục", "", "", "6"),
    ("P.TG.THPT", "P.TG", "grassroots", "Công đoàn cơ sở Trường THPT Tuần Giáo",
     "THPT Tuần Giáo", "80", "a@example.vn", "3"),
    ("P.TG.TT", "P.TG", "grassroots", "Công đoàn cơ sở Trường Tiểu học Thị trấn", "", "40", "",
     "2"),
    ("P.MA.TT", "P.MA", "grassroots", "Công đoàn cơ sở Trường Tiểu học Thị trấn", "", "35", "",
     "2"),
    ("P.MA.YT", "P.MA", "grassroots", "Công đoàn cơ sở Trung tâm Y tế huyện Mường Ảng",
     "TTYT Mường Ảng", "120", "", "2"),
    ("P.DL", "P", "grassroots", "Công đoàn Công ty Điện lực Điện Biên", "Điện lực Điện Biên",
     "300", "", "2"),
]  # fmt: skip


def write_units(folder: Path, rows: list[tuple[str, ...]]) -> Path:
    lines = [",".join(UNITS_HEADER), *(",".join(f'"{c}"' for c in row) for row in rows)]
    path = folder / "units.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def repo() -> Path:
    return REPO


@pytest.fixture
def base_config() -> dict:
    """The bundled config as a dict, with paths made absolute, to be edited by a test."""
    data = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    data["units"] = str(REPO / data["units"])
    for source in data["sources"]:
        source["path"] = str(REPO / source["path"])
    return data


@pytest.fixture
def write_config(tmp_path: Path):
    """Write a config dict to tmp_path/config.yaml and return its path."""

    def write(data: dict, name: str = "config.yaml") -> Path:
        path = tmp_path / name
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        return path

    return write


@pytest.fixture
def example_copy(tmp_path: Path) -> Path:
    """A copy of the bundled example campaign folder with its config, in tmp_path."""
    target = tmp_path / "campaign"
    shutil.copytree(EXAMPLE, target / "examples" / "dien-bien-2021")
    shutil.copy(REPO / "config.yaml", target / "config.yaml")
    return target


VALID_ROW = {
    "timestamp": "15/03/2021 08:30:00",
    "full_name": "Lò Văn Thắng",
    "birth_year": "1985",
    "gender": "Nam",
    "phone": "0912 820 510",
    "email": "thang@example.vn",
    "position": "Giáo viên",
    "superior_unit": "LĐLĐ huyện Tuần Giáo",
    "grassroots_unit": "CĐCS Trường THPT Tuần Giáo",
    "sector": "Khối hành chính sự nghiệp",
    "field": "Vì cộng đồng trong lĩnh vực y tế, giáo dục",
    "title": "Ứng dụng bảng tính trong theo dõi chuyên cần",
    "description": "Học sinh được điểm danh bằng bảng tính dùng chung.",
    "start_date": "01/03/2021",
    "benefit": "2 triệu",
    "coauthors": "",
}


@pytest.fixture
def small_campaign(tmp_path: Path, base_config: dict, write_config):
    """Build a campaign in tmp_path from rows (dicts of field -> value, over VALID_ROW); returns
    the config path. The tree is TREE; the single source is a UTF-8 CSV."""
    import csv

    from sync.templates import load_templates

    def build(rows: list[dict], **config_changes) -> Path:
        questions = load_templates().form.questions
        path = tmp_path / "responses.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow([q.vi for q in questions])
            for row in rows:
                values = {**VALID_ROW, **row}
                writer.writerow(["" if values[q.key] is None else values[q.key] for q in questions])
        config = dict(base_config)
        config["units"] = str(write_units(tmp_path, TREE))
        config["sources"] = [{"name": "form", "kind": "csv", "path": str(path)}]
        config["output"] = {"dir": str(tmp_path / "out")}
        config.update(config_changes)
        return write_config(config)

    return build


@pytest.fixture
def workers_take_the_tasks(monkeypatch):
    """Make `module`'s on_every_core slow in this process: each task it takes waits a while
    first, so a forked worker (where the system forks) does the others and sends their results
    back, which tasks this small would otherwise never need."""

    def patch(module) -> None:
        real, here = module.on_every_core, os.getpid()

        def slow_here_first(tasks, work, **options):
            def slow_here(task):
                if os.getpid() == here:
                    time.sleep(0.5)
                return work(task)

            return real(tasks, slow_here, **options)

        monkeypatch.setattr(module, "on_every_core", slow_here_first)

    return patch
