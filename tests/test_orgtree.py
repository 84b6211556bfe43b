from pathlib import Path

import pytest

from sync.errors import ConfigError
from sync.orgtree import load_tree, name_key

from .conftest import TREE, write_units


@pytest.fixture
def tree(tmp_path: Path):
    return load_tree(write_units(tmp_path, TREE))


def test_walks_the_tree(tree) -> None:
    assert tree.root.id == "P"
    assert tree.ancestors("P.TG.THPT") == ["P.TG", "P"]
    assert tree.subtree("P.TG") == ["P.TG", "P.TG.THPT", "P.TG.TT"]
    assert tree["P.DL"].tier == "grassroots" and tree["P.GD"].tier == "superior"
    assert tree["P.TG.THPT"].officer_emails == ("a@example.vn",)


@pytest.mark.parametrize(
    ("superior", "grassroots", "unit_id"),
    [
        ("LĐLĐ huyện Tuần Giáo", "Công đoàn cơ sở Trường THPT Tuần Giáo", "P.TG.THPT"),
        ("LĐLĐ huyện Tuần Giáo", "CĐCS Trường THPT Tuần Giáo", "P.TG.THPT"),
        ("ldld huyen tuan giao", "thpt tuan giao", "P.TG.THPT"),
        ("Liên đoàn Lao động huyện Tuần Giáo", "Trường Trung học phổ thông Tuần Giáo", "P.TG.THPT"),
        ("LĐLĐ huyện Tuần Giáo", "  TRƯỜNG THPT  TUẦN GIÁO ", "P.TG.THPT"),
        # the same name in two districts: the superior decides
        ("LĐLĐ huyện Tuần Giáo", "Trường Tiểu học Thị trấn", "P.TG.TT"),
        ("LĐLĐ huyện Mường Ảng", "Trường Tiểu học Thị trấn", "P.MA.TT"),
        ("LĐLĐ huyện Mường Ảng", "TTYT Muong Ang", "P.MA.YT"),
        # a grassroots union directly under the province
        ("LĐLĐ tỉnh", "Công ty Điện lực Điện Biên", "P.DL"),
        # wrong superior, but the name is unique in the province
        ("LĐLĐ huyện Mường Ảng", "THPT Tuần Giáo", "P.TG.THPT"),
        # a small typo
        ("LĐLĐ huyện Tuần Giáo", "Truong THPT Tuan Giaoo", "P.TG.THPT"),
    ],
)
def test_resolves_names_as_officers_type_them(tree, superior, grassroots, unit_id) -> None:
    assert tree.resolve(superior, grassroots).unit_id == unit_id


def test_ambiguous_name_without_superior_is_unknown_with_candidates(tree) -> None:
    found = tree.resolve("", "Trường Tiểu học Thị trấn")
    assert found.unit_id is None
    assert all(n.startswith("Công đoàn cơ sở Trường Tiểu học Thị trấn (") for n in found.candidates)


def test_unknown_name_is_unresolved_but_superior_kept(tree) -> None:
    found = tree.resolve("LĐLĐ huyện Tuần Giáo", "Hợp tác xã Sao Hỏa")
    assert found.unit_id is None and found.superior_id == "P.TG"


def test_name_key_expands_abbreviations() -> None:
    assert name_key("CĐCS Trường THPT Tuần Giáo") == name_key("Trung học phổ thông Tuần Giáo")


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([*TREE, TREE[1]], "duplicate id"),
        ([*TREE, ("X", "NOPE", "grassroots", "Lạc", "", "", "", "")], "unknown parent_id"),
        ([r for r in TREE if r[0] != "P"], "exactly one unit without parent_id"),
        ([*TREE, ("Y", "P", "village", "Bản", "", "", "", "")], "column kind"),
        ([*TREE, ("Z", "P", "grassroots", "Z", "", "many", "", "")], "column members"),
        (
            [*TREE, ("C1", "C2", "grassroots", "A", "", "", "", ""),
             ("C2", "C1", "grassroots", "B", "", "", "", "")],
            "cycle",
        ),
    ],
)  # fmt: skip
def test_broken_trees_name_the_problem(tmp_path: Path, rows, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_tree(write_units(tmp_path, rows))


@pytest.fixture(scope="module")
def example_tree():
    return load_tree(Path(__file__).resolve().parent.parent / "examples/dien-bien-2021/units.csv")


def test_unrelated_name_gets_no_suggestion(example_tree) -> None:
    found = example_tree.resolve("LĐLĐ huyện Tuần Giáo", "Khách sạn Hoa Sữa")
    assert found.unit_id is None and found.candidates == ()


def test_suggestions_name_the_superior_of_unions_sharing_a_name(example_tree) -> None:
    found = example_tree.resolve("", "Trường Tiểu học Thị trấn")
    assert found.unit_id is None
    assert len(found.candidates) == 2 and len(set(found.candidates)) == 2
    assert any("Tuần Giáo" in name for name in found.candidates)


def test_close_name_is_suggested_under_its_superior_first(example_tree) -> None:
    # Close to schools of other districts too, but the district named on the form comes first.
    found = example_tree.resolve("LĐLĐ huyện Mường Ảng", "Trường học Thị trấn")
    assert found.unit_id is None
    assert found.candidates == ("Công đoàn cơ sở Trường Mầm non Thị trấn",)


def test_suggestion_threshold_is_a_setting(example_tree) -> None:
    assert example_tree.resolve("", "Trung tâm Y tế Tuần", 70).candidates
    assert example_tree.resolve("", "Trung tâm Y tế Tuần", 99).candidates == ()
