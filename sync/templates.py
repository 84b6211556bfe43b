"""Read the declarative layouts in `sheets_templates/`: the form's questions and every output
sheet's columns, headers, widths and formats. Writers render these; none hard-codes a label."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError
from .resources import templates_dir

DEFAULT_TEMPLATES = templates_dir()


@dataclass(frozen=True, slots=True)
class Question:
    key: str
    vi: str
    en: str
    required: bool
    kind: str


@dataclass(frozen=True, slots=True)
class FormLayout:
    questions: tuple[Question, ...]
    genders: tuple[str, ...]

    def question(self, key: str) -> Question:
        return next(q for q in self.questions if q.key == key)


@dataclass(frozen=True, slots=True)
class Column:
    key: str  # the value's name in a writer's record
    header: str  # Vietnamese header shown to officers
    width: float = 14
    format: str = "text"  # text, int, money, date, datetime, percent
    wrap: bool = False
    hidden: bool = False
    # Officer-owned: the sync reads it back and keeps it; everything else is sync-owned.
    review: bool = False
    # A data-validation spec (see outputs.yaml, `validations`), by name.
    validation: str | None = None
    # Tiers whose sheets show the column; None shows it everywhere.
    tiers: tuple[str, ...] | None = None
    # A wrapped column makes its row tall enough for its text, unless this is False.
    sets_height: bool = True


@dataclass(frozen=True, slots=True)
class Highlight:
    column: str  # key of the column whose value decides
    equals: str
    fill: str  # background colour, #RRGGBB


@dataclass(frozen=True, slots=True)
class SheetLayout:
    name: str  # tab title
    columns: tuple[Column, ...]
    highlights: tuple[Highlight, ...] = ()
    freeze_columns: int = 0
    # Derived once: writers ask for the keys for every row they build.
    _keys: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_keys", tuple(c.key for c in self.columns))

    def column_keys(self) -> tuple[str, ...]:
        return self._keys

    def review_keys(self) -> list[str]:
        return [c.key for c in self.columns if c.review]

    def for_tier(self, tier: str) -> SheetLayout:
        """The layout as a unit of `tier` sees it."""
        kept = tuple(c for c in self.columns if c.tiers is None or tier in c.tiers)
        return replace(self, columns=kept)


@dataclass(frozen=True, slots=True)
class Templates:
    form: FormLayout
    sheets: dict[str, SheetLayout]
    labels: dict[str, Any]  # status, tier and severity names, other fixed Vietnamese words
    formats: dict[str, str]  # number format per column format name
    dashboard: dict[str, Any]  # titles and chart captions of the provincial dashboard
    validations: dict[str, dict[str, Any]]  # data-validation specs of officer-owned columns
    review: dict[str, Any]  # words of the review workflow: choices, reasons, tab titles


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: template file not found") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from None


def _column(data: dict[str, Any]) -> Column:
    tiers = data.get("tiers")
    return Column(**{**data, "tiers": None if tiers is None else tuple(tiers)})


def sheet_layout(data: dict[str, Any]) -> SheetLayout:
    """One sheet's layout from its YAML mapping (title, columns, highlights, freeze_columns)."""
    return SheetLayout(
        name=data["title"],
        columns=tuple(_column(column) for column in data["columns"]),
        highlights=tuple(Highlight(**h) for h in data.get("highlights", ())),
        freeze_columns=data.get("freeze_columns", 0),
    )


@cache
def load_templates(folder: Path = DEFAULT_TEMPLATES) -> Templates:
    form_data = _read_yaml(folder / "form.yaml")
    outputs = _read_yaml(folder / "outputs.yaml")
    try:
        form = FormLayout(
            questions=tuple(Question(**q) for q in form_data["questions"]),
            genders=tuple(form_data.get("genders", ())),
        )
        sheets = {name: sheet_layout(data) for name, data in outputs["sheets"].items()}
        return Templates(
            form=form,
            sheets=sheets,
            labels=dict(outputs["labels"]),
            formats=dict(outputs["formats"]),
            dashboard=dict(outputs["dashboard"]),
            validations=dict(outputs.get("validations", {})),
            review=dict(outputs.get("review", {})),
        )
    except (KeyError, TypeError) as exc:
        raise ConfigError(f"{folder}: a template is missing or has a wrong entry ({exc})") from None
