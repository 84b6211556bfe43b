from datetime import datetime
from pathlib import Path

import pytest

from sync.config import parse_moment, read_settings
from sync.errors import ConfigError


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
