from datetime import datetime
from pathlib import Path

import pytest

from sync.config import parse_moment, read_settings
from sync.errors import ConfigError
from tests.refusal import refused


def test_bundled_config_loads_with_campaign_values(repo: Path) -> None:
    settings = read_settings(repo / "config.yaml")
    assert settings.campaign.closes_at.isoformat() == "2021-04-23T00:00:00+07:00"
    assert settings.campaign.description_max_chars == 1000
    assert len(settings.fields) == 5
    assert settings.units.is_absolute() and settings.units.exists()
    assert all(s.path is not None and s.path.exists() for s in settings.sources)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021-04-22 24:00", datetime(2021, 4, 23, 0, 0)),
        ("2021-04-22 23:59:59", datetime(2021, 4, 22, 23, 59, 59)),
        ("2021-12-31T24:00", datetime(2022, 1, 1, 0, 0)),
    ],
)
def test_moments_accept_24_00(text: str, expected: datetime) -> None:
    assert parse_moment(text) == expected


@pytest.mark.parametrize("text", ["22/04/2021", "2021-02-30 10:00", "2021-04-22 24:30"])
def test_bad_moments_are_rejected(text: str) -> None:
    with pytest.raises(ValueError):
        parse_moment(text)


@pytest.mark.parametrize(
    ("edit", "key_named"),
    [
        (lambda c: c["campaign"].update(timezone="Mars/Olympus"), "campaign.timezone"),
        (lambda c: c["campaign"].update(form_closes_at="soon"), "campaign.form_closes_at"),
        (lambda c: c["campaign"].pop("dossier_due"), "campaign.dossier_due"),
        (lambda c: c["campaign"].update(description_max_chars=0), "description_max_chars"),
        (lambda c: c.update(fields=[]), "fields"),
        (lambda c: c.update(colour="red"), "colour"),
        (lambda c: c["sources"][0].update(kind="pdf"), "sources.0.kind"),
        (lambda c: c["sources"][1].update(name=c["sources"][0]["name"]), "unique"),
        (lambda c: c.update(column_aliases={"shoe_size": ["Cỡ giày"]}), "shoe_size"),
        (
            lambda c: c["campaign"]["implementation_window"].update(end="2021-01-01"),
            "implementation_window",
        ),
    ],
)
def test_config_errors_name_the_key(base_config: dict, write_config, edit, key_named: str) -> None:
    edit(base_config)
    with pytest.raises(ConfigError) as raised:
        read_settings(write_config(base_config))
    assert key_named in str(raised.value)


def test_missing_and_broken_files_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        read_settings(tmp_path / "nope.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("campaign: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="line"):
        read_settings(broken)


def test_relative_paths_follow_the_config_file(tmp_path: Path, base_config: dict, write_config):
    base_config["output"] = {"dir": "out"}
    path = write_config(base_config)
    assert read_settings(path).output.dir == tmp_path / "out"


# -- broken configs are refused in one line ----------------------------------------------------

DEEP = "campaign: " + "[" * 10_000 + "]" * 10_000 + "\n"


@pytest.mark.parametrize(
    ("content", "named"),
    [
        (b"", "mapping"),
        (b"# only a comment\n", "mapping"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", "cannot read"),
        ("campaign: x\n".encode("utf-16"), "cannot read"),
        (b"campaign: \x00\n", "not valid YAML"),
        (b"campaign:\n\tname: x\n", "line 2"),
        (b"campaign: [unclosed\n", "line"),
        (DEEP.encode(), "nested too deeply"),
        (b"- a\n- b\n", "mapping"),
        (b"just words\n", "mapping"),
        (b"a: 1\n---\nb: 2\n", "not valid YAML"),
        (b"a: *nowhere\n", "not valid YAML"),
        (b"a: !!python/object:os.system {}\n", "not valid YAML"),
        (b"{a: 1, b: [1, 2}\n", "not valid YAML"),
    ],
    ids=["empty", "comment", "binary", "utf16", "nul", "tab", "unclosed", "deep", "list",
         "scalar", "two-documents", "undefined-alias", "python-tag", "mismatched-bracket"],
)  # fmt: skip
def test_broken_config_files_are_refused_in_one_line(
    tmp_path: Path, content: bytes, named: str
) -> None:
    config = tmp_path / "config.yaml"
    config.write_bytes(content)
    line = refused(config)
    assert str(config) in line and named in line


def test_a_folder_given_as_config_is_refused_in_one_line(tmp_path: Path) -> None:
    line = refused(tmp_path)
    assert str(tmp_path) in line and "folder" in line


@pytest.mark.parametrize(
    ("edit", "key"),
    [
        (lambda c: c.pop("campaign"), "campaign"),
        (lambda c: c.update(campaign=["a", "b"]), "campaign"),
        (lambda c: c["campaign"].update(timezone="Mars/Olympus"), "campaign.timezone"),
        (lambda c: c["campaign"].update(timezone=""), "campaign.timezone"),
        (lambda c: c["campaign"].update(timezone="../../etc/passwd"), "campaign.timezone"),
        (lambda c: c["campaign"].update(timezone=7), "campaign.timezone"),
        (lambda c: c["campaign"].update(form_closes_at="soon"), "campaign.form_closes_at"),
        (lambda c: c["campaign"].update(form_closes_at="2021-02-30 10:00"), "form_closes_at"),
        (lambda c: c["campaign"].update(dossier_due="30/02/2021"), "campaign.dossier_due"),
        (lambda c: c["campaign"].pop("dossier_due"), "campaign.dossier_due"),
        (lambda c: c["campaign"]["implementation_window"].update(end="2021-01-01"),
         "implementation_window"),
        (lambda c: c["campaign"]["implementation_window"].pop("start"),
         "implementation_window.start"),
        (lambda c: c["campaign"].update(description_max_chars="một nghìn"),
         "description_max_chars"),
        (lambda c: c["campaign"].update(description_max_chars=-1), "description_max_chars"),
        (lambda c: c["campaign"].update(colour="red"), "campaign.colour"),
        (lambda c: c.update(fields=[]), "fields"),
        (lambda c: c.update(fields=[{"a": 1}]), "fields.0"),
        (lambda c: c.pop("sectors"), "sectors"),
        (lambda c: c.pop("units"), "units"),
        (lambda c: c.update(sources=[]), "sources"),
        (lambda c: c["sources"][0].update(kind="pdf"), "sources.0.kind"),
        (lambda c: c["sources"][0].pop("path"), "sources.0"),
        (lambda c: c["sources"][0].update(kind="google_sheet"), "sources.0"),
        (lambda c: c["sources"][1].update(name=c["sources"][0]["name"]), "unique"),
        (lambda c: c.update(colour="red"), "colour"),
        (lambda c: c.update(Campaign=c.pop("campaign")), "Campaign"),
        (lambda c: c.update({1: "x"}), "1: Keys should be strings"),
        (lambda c: c.update(column_aliases={"shoe_size": ["Cỡ giày"]}), "shoe_size"),
        (lambda c: c.update(column_aliases=["title"]), "column_aliases"),
        (lambda c: c.update(output={"kind": "pdf"}), "output.kind"),
        (lambda c: c.update(output={"tiers": ["village"]}), "output.tiers"),
        (lambda c: c.update(dedupe={"same_author_threshold": 150}),
         "dedupe.same_author_threshold"),
        (lambda c: c.update(id_column=["Mã"]), "id_column"),
    ],
)  # fmt: skip
def test_broken_settings_are_refused_in_one_line_naming_the_key(
    base_config: dict, write_config, edit, key: str
) -> None:
    edit(base_config)
    config = write_config(base_config)
    line = refused(config)
    assert str(config) in line and key in line


def test_a_byte_order_mark_is_read_past(tmp_path: Path, base_config: dict, write_config) -> None:
    config = write_config(base_config)
    config.write_bytes(b"\xef\xbb\xbf" + config.read_bytes())
    assert read_settings(config).campaign.province == base_config["campaign"]["province"]
