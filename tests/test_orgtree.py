from pathlib import Path

import pytest
from rapidfuzz import fuzz

from sync.errors import ConfigError
from sync.orgtree import KINDS, UNITS_HEADER, allowed_parents, load_tree, name_key
from tests.refusal import refused

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


# -- broken trees are refused in one line, naming the file and the row ------------------------

ROW = ("", "", "", "", "", "", "", "")


def unit(unit_id: str, parent: str, kind: str, name: str = "Tên") -> tuple[str, ...]:
    return (unit_id, parent, kind, name, "", "", "", "")


@pytest.fixture
def tree_config(tmp_path: Path, base_config: dict, write_config):
    """A config whose units setting points to `units` (a path under tmp_path)."""

    def build(units: Path) -> Path:
        return write_config({**base_config, "units": str(units)})

    return build


@pytest.mark.parametrize(
    ("rows", "row", "named"),
    [
        ([*TREE, unit("../x", "P", "grassroots")], 11, "column id"),
        ([*TREE, unit("/abs", "P", "grassroots")], 11, "column id"),
        ([*TREE, unit("x" * 41, "P", "grassroots")], 11, "column id"),
        ([*TREE, unit(".hidden", "P", "grassroots")], 11, "column id"),
        ([*TREE, unit("P TG", "P", "grassroots")], 11, "column id"),
        ([*TREE, unit("P.TĐ", "P", "grassroots")], 11, "column id"),
        ([*TREE, unit("a:b", "P", "grassroots")], 11, "column id"),
        ([*TREE, unit("p.tg", "P", "grassroots")], 11, "duplicate id"),
        ([*TREE, TREE[1]], 11, "duplicate id"),
        ([*TREE, unit(" ", "P", "grassroots")], 11, "column id"),
        ([*TREE, unit("Y", "P", "village")], 11, "column kind"),
        ([*TREE, unit("Y", "P", "grassroots", name="")], 11, "column name"),
        ([*TREE, ("Z", "P", "grassroots", "Z", "", "many", "", "")], 11, "column members"),
        ([*TREE, ("Z", "P", "grassroots", "Z", "", "", "", "-1")], 11, "column quota"),
        ([*TREE, unit("X", "NOPE", "grassroots")], 11, "unknown parent_id"),
        ([*TREE, unit("P2", "P", "province")], 11, "province but has a parent"),
        ([*TREE, unit("C1", "C2", "grassroots"), unit("C2", "C1", "grassroots")], 11, "cycle"),
        ([*TREE, unit("CHILD", "P.DL", "grassroots")], 11, "column parent_id"),
        ([*TREE, unit("D2", "P.TG.TT", "district")], 11, "column parent_id"),
        ([*TREE, unit("S2", "P.TG", "sector")], 11, "column parent_id"),
        ([*TREE, unit("CS", "P.GD", "civil_service")], 11, "column parent_id"),
        ([TREE[0], ROW, unit("../x", "P", "grassroots")], 4, "column id"),  # blank rows count
    ],
)  # fmt: skip
def test_broken_trees_are_refused_in_one_line(
    tmp_path: Path, tree_config, rows, row: int, named: str
) -> None:
    line = refused(tree_config(write_units(tmp_path, rows)))
    assert f"units.csv row {row}" in line and named in line


@pytest.mark.parametrize(
    ("rows", "named"),
    [
        ([r for r in TREE if r[0] != "P"], "exactly one unit without parent_id"),
        ([*TREE, unit("P2", "", "province")], "exactly one unit without parent_id"),
        ([unit("P", "", "district")], "exactly one unit without parent_id"),
        ([], "no units"),
    ],
)
def test_trees_without_one_province_root_are_refused(
    tmp_path: Path, tree_config, rows, named: str
) -> None:
    line = refused(tree_config(write_units(tmp_path, rows)))
    assert "units.csv" in line and named in line


def write_xlsx(path: Path, rows: list[tuple[str, ...]]) -> Path:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    for number, row in enumerate(rows):
        sheet.write_row(number, 0, row)
    book.close()
    return path


@pytest.mark.parametrize(
    ("make", "named"),
    [
        (lambda p: p.mkdir() or p, "is a folder"),
        (lambda p: p, "not found"),
        (lambda p: p.write_bytes(b"PK\x03\x04 broken zip") and p, "cannot read"),
        (lambda p: write_xlsx(p, []), "empty"),
        (lambda p: write_xlsx(p, [UNITS_HEADER]), "no units"),
        (lambda p: write_xlsx(p, [("id", "name"), ("P", "Tỉnh")]), "missing column"),
        (lambda p: p.write_bytes(b"\x00\x01\x02\xff\xfe binary") and p, "cannot read"),
    ],
    ids=["folder", "missing", "damaged", "empty", "header-only", "missing-column", "binary"],
)
def test_unreadable_units_xlsx_is_refused_in_one_line(
    tmp_path: Path, tree_config, make, named: str
) -> None:
    path = make(tmp_path / "units.xlsx")
    line = refused(tree_config(tmp_path / "units.xlsx"))
    assert str(path) in line and named in line


@pytest.mark.parametrize(
    ("content", "named"),
    [
        (b"", "empty"),
        (b"id,parent_id,kind,name,aliases,members,officer_emails,quota\x00\n", "missing column"),
        (b"id,parent_id,kind,name,aliases,members,officer_emails,quota\nP,,province,T\xe9,,,,\n",
         "cannot read"),
        (b"id;parent_id;kind\nP;;province\n", "missing column"),
    ],
    ids=["empty", "nul", "legacy-encoding", "semicolons"],
)  # fmt: skip
def test_unreadable_units_csv_is_refused_in_one_line(
    tmp_path: Path, tree_config, content: bytes, named: str
) -> None:
    path = tmp_path / "units.csv"
    path.write_bytes(content)
    line = refused(tree_config(path))
    assert str(path) in line and named in line


def test_a_bom_and_blank_rows_are_read_past(tmp_path: Path) -> None:
    path = write_units(tmp_path, [TREE[0], ROW, *TREE[1:]])
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert len(list(load_tree(path))) == len(TREE)


def test_xlsx_tree_loads_like_the_csv(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "units.xlsx", [UNITS_HEADER, *TREE])
    assert [u.id for u in load_tree(path)] == [row[0] for row in TREE]


def test_allowed_parent_kinds_are_data_covering_every_kind() -> None:
    assert set(allowed_parents()) == set(KINDS)
    assert allowed_parents()["grassroots"] >= {"province", "district"}


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


@pytest.mark.parametrize(
    "typed",
    ["Trường học Thị trấn", "Thị trấn Trường Tiểu học", "Tế Y Trung tâm", "Mầm non"],
)
def test_suggestions_are_the_names_closest_in_any_word_order(example_tree, typed: str) -> None:
    """Every grassroots name scored on its words in any order (fuzz.token_sort_ratio), the
    closest first, ties in the tree's order: what the officer is offered."""
    threshold = 60
    scored = [
        (fuzz.token_sort_ratio(name_key(typed), name_key(name)), place, unit.id)
        for place, (unit, name) in enumerate(
            (unit, name)
            for unit in example_tree.grassroots()
            for name in (unit.name, *unit.aliases)
        )
    ]
    closest = [
        uid for score, _, uid in sorted(scored, key=lambda s: (-s[0], s[1])) if score >= threshold
    ]
    expected = list(dict.fromkeys(closest))[:3]
    found = example_tree.resolve("", typed, threshold)
    assert found.unit_id is None
    assert len(found.candidates) == len(expected)
    for offered, uid in zip(found.candidates, expected, strict=True):
        assert offered.startswith(example_tree[uid].name)  # and whose union, if names repeat
