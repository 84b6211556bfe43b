"""No id or name can make an output path outside the output folder, or a name an OS refuses."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync.errors import OutputError
from sync.paths import MAX_NAME_BYTES, output_path, safe_name

WINDOWS_REFUSED = set('<>:"/\\|?*') | {chr(c) for c in range(32)}

# Text that looks like paths, as well as anything at all.
tricky = st.one_of(
    st.text(),
    st.lists(st.sampled_from(["..", ".", "/", "\\", "~", "C:", "CON", "nul.xlsx", " ", "x"])).map(
        "".join
    ),
    st.text(alphabet="./\\", max_size=12),
    st.text(min_size=100, max_size=400),
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(tricky, min_size=1, max_size=3))
def test_no_name_escapes_the_output_folder(tmp_path: Path, names: list[str]) -> None:
    folder = tmp_path / "out"
    path = output_path(folder, *names)
    assert path.resolve().is_relative_to(folder.resolve())
    assert path.resolve() != folder.resolve()
    assert len(path.relative_to(folder).parts) == len(names)
    for part in path.relative_to(folder).parts:
        assert len(part.encode("utf-8")) <= MAX_NAME_BYTES
        assert not WINDOWS_REFUSED & set(part)
        assert part not in {".", ".."} and not part.endswith((".", " "))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("P.TG Truong-THPT.xlsx", "P.TG Truong-THPT.xlsx"),
        ("../../x", ".._.._x"),
        ("/etc/passwd", "_etc_passwd"),
        ("C:\\Windows", "C__Windows"),
        ("..", "_"),
        ("", "_"),
        ("CON", "_CON"),
        ("lpt1.xlsx", "_lpt1.xlsx"),
        ("bản sao. ", "bản sao"),
    ],
)
def test_names_are_made_safe(name: str, expected: str) -> None:
    assert safe_name(name) == expected


def test_a_long_name_keeps_its_extension_within_the_byte_cap() -> None:
    name = safe_name("Trường " * 60 + ".xlsx")
    assert name.endswith(".xlsx") and len(name.encode("utf-8")) <= MAX_NAME_BYTES
    name.encode("utf-8").decode("utf-8")  # cut at a character boundary


@pytest.mark.skipif(os.name == "nt", reason="symbolic links need privileges on Windows")
def test_a_link_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    folder, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    folder.mkdir()
    elsewhere.mkdir()
    (folder / "grassroots").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(OutputError, match="outside the output folder"):
        output_path(folder, "grassroots", "P.xlsx")
