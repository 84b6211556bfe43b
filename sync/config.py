"""Load and check config.yaml into typed, frozen objects.

Everything campaign-specific (dates, limits, lists, quotas, the organisation tree) comes from here;
the rest of the package receives these objects as arguments and reads no global state.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import ConfigError
from .models import FIELDS


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


_MOMENT = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?\s*$")


def parse_moment(text: str) -> datetime:
    """Read `YYYY-MM-DD HH:MM[:SS]` as a naive local datetime; `24:00` is the next midnight,
    the way the campaign letter writes a closing time ("sau 24h ngày 22/4/2021")."""
    match = _MOMENT.match(text)
    if not match:
        raise ValueError(f"expected a date and time like 2021-04-22 24:00, got {text!r}")
    year, month, day, hour, minute, second = (int(g or 0) for g in match.groups())
    extra_day = 0
    if hour == 24 and minute == 0 and second == 0:
        hour, extra_day = 0, 1
    try:
        return datetime(year, month, day, hour, minute, second) + timedelta(days=extra_day)
    except ValueError as exc:
        raise ValueError(f"not a real date and time: {text!r} ({exc})") from None


class DateWindow(_Frozen):
    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> DateWindow:
        if self.end < self.start:
            raise ValueError("end must not be before start")
        return self


class CampaignSettings(_Frozen):
    name: str
    province: str
    timezone: str = "Asia/Ho_Chi_Minh"
    form_closes_at: datetime  # naive, in `timezone`
    implementation_window: DateWindow
    description_max_chars: int = Field(1000, gt=0)
    dossier_due: date
    form_url: str | None = None
    form_id: str | None = None  # the Forms API id, to close the form from the sync

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r}; expected e.g. Asia/Ho_Chi_Minh"
            ) from None
        return value

    @field_validator("form_closes_at", mode="before")
    @classmethod
    def _moment(cls, value: Any) -> Any:
        return parse_moment(value) if isinstance(value, str) else value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def closes_at(self) -> datetime:
        """The close moment as an aware datetime."""
        return self.form_closes_at.replace(tzinfo=self.zone)

    def moment(self, text: str) -> datetime:
        """`YYYY-MM-DD HH:MM` read in the campaign's time zone, as an aware datetime."""
        return parse_moment(text).replace(tzinfo=self.zone)


SourceKind = Literal["xlsx", "xls", "ods", "csv", "google_sheet"]


class SourceSettings(_Frozen):
    name: str = Field(min_length=1)
    kind: SourceKind
    path: Path | None = None
    sheet: str | None = None  # worksheet/tab; default: the one whose headers match the form
    locale: Literal["auto", "vi", "en"] = "auto"  # how m/d vs d/m timestamps are written
    encoding: str | None = None  # CSV only; default: detected
    spreadsheet: str | None = None  # google_sheet: key or URL
    # Which column answers a question when the sheet has two that read alike: field key ->
    # column letter ("F") or the exact header text.
    columns: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _located(self) -> SourceSettings:
        if self.kind == "google_sheet":
            if not self.spreadsheet:
                raise ValueError("a google_sheet source needs `spreadsheet` (its key or URL)")
        elif self.path is None:
            raise ValueError(f"a {self.kind} source needs `path`")
        return self


class OutputSettings(_Frozen):
    kind: Literal["xlsx", "google_sheets"] = "xlsx"
    dir: Path = Path("output")
    # Which tiers get a workbook of their own. The province always gets the dashboard.
    tiers: tuple[Literal["province", "superior", "grassroots"], ...] = (
        "province",
        "superior",
        "grassroots",
    )


class DedupeSettings(_Frozen):
    # Similarity (0-100) of title+description above which two rows are "the same initiative".
    same_author_threshold: float = Field(80, ge=0, le=100)
    cross_author_threshold: float = Field(90, ge=0, le=100)


GoogleAuth = Literal["user", "service_account"]
# Who creates the units' spreadsheets: the signed-in person, a service account inside a Workspace
# shared drive, or an Apps Script the provincial officer runs (the sync then only finds them).
GoogleOwner = Literal["user", "shared_drive", "apps_script"]


class GoogleSettings(_Frozen):
    auth: GoogleAuth = "service_account"
    owner: GoogleOwner | None = None  # default: "user" when auth is user, else "shared_drive"
    credentials: Path | None = None  # service-account key; default GOOGLE_APPLICATION_CREDENTIALS
    oauth_client: Path | None = None  # auth user: the "Desktop app" OAuth client JSON
    token: Path | None = None  # auth user: where `sangkien login` keeps the token (per-user dir)
    shared_drive: str | None = None  # owner shared_drive: the shared drive's id or address
    drive_folder: str | None = None  # where unit spreadsheets are created
    dashboard_spreadsheet: str | None = None  # key or URL of the provincial spreadsheet
    unit_spreadsheets: dict[str, str] = Field(default_factory=dict)  # unit id -> key or URL
    reads_per_minute: int = Field(60, gt=0)
    writes_per_minute: int = Field(60, gt=0)
    drive_per_minute: int = Field(600, gt=0)  # Drive calls (create, list, share)
    max_retries: int = Field(6, ge=0)
    timeout_seconds: float = Field(60, gt=0)

    @property
    def spreadsheet_owner(self) -> GoogleOwner:
        if self.owner is not None:
            return self.owner
        return "user" if self.auth == "user" else "shared_drive"

    @model_validator(mode="after")
    def _owner_fits_auth(self) -> GoogleSettings:
        owner = self.spreadsheet_owner
        if owner == "shared_drive" and self.auth != "service_account":
            raise ValueError("owner shared_drive needs auth service_account")
        if owner == "user" and self.auth != "user":
            raise ValueError(
                "owner user needs auth user: a service account cannot own files (Google gives "
                "it no storage); use owner shared_drive or apps_script with a service account"
            )
        return self


class UnitMatchSettings(_Frozen):
    # A closest name is offered to officers only when it is this similar (0-100): a wrong
    # suggestion invites a wrong correction.
    suggest_threshold: float = Field(70, ge=0, le=100)


class SignerSettings(_Frozen):
    title: str | None = None  # e.g. CHỦ TỊCH; default: the dossier layout's
    name: str | None = None  # default: left blank to be written by hand


class DossierUnitSettings(_Frozen):
    locality: str | None = None  # the place line's name (địa danh); default: the superior's
    signer: SignerSettings = SignerSettings()


class DossierSettings(_Frozen):
    """What a unit's Tờ trình says about where and who: per unit, else the defaults."""

    locality: str | None = None  # default: campaign.province
    signer: SignerSettings = SignerSettings()
    units: dict[str, DossierUnitSettings] = Field(default_factory=dict)


class Settings(_Frozen):
    campaign: CampaignSettings
    fields: tuple[str, ...] = Field(min_length=1)  # lĩnh vực, D12
    sectors: tuple[str, ...] = Field(min_length=1)  # khối, D1
    units: Path  # the organisation tree, a CSV or XLSX file
    sources: tuple[SourceSettings, ...] = Field(min_length=1)
    column_aliases: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    id_column: str = "Mã sáng kiến"
    output: OutputSettings = OutputSettings()
    dedupe: DedupeSettings = DedupeSettings()
    google: GoogleSettings = GoogleSettings()
    unit_match: UnitMatchSettings = UnitMatchSettings()
    dossier: DossierSettings = DossierSettings()

    @field_validator("column_aliases")
    @classmethod
    def _known_fields(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        unknown = sorted(set(value) - set(FIELDS))
        if unknown:
            raise ValueError(f"unknown field(s) {unknown}; expected some of {list(FIELDS)}")
        return value

    @model_validator(mode="after")
    def _unique_source_names(self) -> Settings:
        names = [s.name for s in self.sources]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"source names must be unique; repeated: {repeated}")
        return self


def _describe(error: Annotated[dict, "pydantic error"]) -> str:
    where = ".".join(str(part) for part in error["loc"]) or "(top level)"
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "missing":
        message = "required key is missing"
    elif error["type"] == "extra_forbidden":
        message = "unknown key (check the spelling)"
    return f"{where}: {message}"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _read_text(path: Path) -> str:
    try:
        if path.is_dir():
            raise ConfigError(f"{path}: is a folder; expected the config file (config.yaml)")
        # utf-8-sig: a file saved by Notepad starts with a byte-order mark.
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except (OSError, UnicodeError, ValueError) as exc:
        reason = _one_line(str(exc))
        raise ConfigError(f"{path}: cannot read the config file ({reason})") from None


def _parse_yaml(path: Path, text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = _one_line(str(getattr(exc, "problem", None) or exc))
        raise ConfigError(f"{path}{where}: not valid YAML ({problem})") from None
    except RecursionError:
        raise ConfigError(f"{path}: not valid YAML (nested too deeply)") from None


def read_settings(path: Path) -> Settings:
    """Parse and check a config file; paths inside it are made relative to its folder. Every
    failure is one ConfigError line naming the file and the key."""
    data = _parse_yaml(path, _read_text(path))
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings at the top level")
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(_describe(e) for e in exc.errors())
        raise ConfigError(f"{path}: {_one_line(problems)}") from None
    except RecursionError:
        raise ConfigError(f"{path}: a setting is nested too deeply") from None
    return _anchor_paths(settings, path.parent)


def _anchor(base: Path, value: Path | None) -> Path | None:
    if value is None or value.is_absolute():
        return value
    return base / value


def _anchor_paths(settings: Settings, base: Path) -> Settings:
    sources = tuple(s.model_copy(update={"path": _anchor(base, s.path)}) for s in settings.sources)
    output = settings.output.model_copy(update={"dir": _anchor(base, settings.output.dir)})
    google = settings.google.model_copy(
        update={
            key: _anchor(base, getattr(settings.google, key))
            for key in ("credentials", "oauth_client", "token")
        }
    )
    return settings.model_copy(
        update={
            "units": _anchor(base, settings.units),
            "sources": sources,
            "output": output,
            "google": google,
        }
    )
