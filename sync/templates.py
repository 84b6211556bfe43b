"""Read the declarative layouts in `sheets_templates/`: the form's questions and every output
sheet's columns, headers, widths, formats, colours and charts. Writers render these; none
hard-codes a label.

Every file is checked at load by frozen typed models: a missing, renamed or misspelt key is a
one-line ConfigError naming the file and the key, never a KeyError later in a writer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import ConfigError
from .resources import templates_dir

DEFAULT_TEMPLATES = templates_dir()

Colour = Annotated[str, Field(pattern=r"^#[0-9A-Fa-f]{6}$")]
Format = Literal["text", "int", "plain", "number", "money", "date", "datetime", "percent"]
Tier = Literal["province", "superior", "grassroots"]


class Model(BaseModel):
    """A frozen template section: unknown keys are refused, so a misspelt key is named."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def word(self, key: str) -> Any:
        """The entry named by a value known only at run time (a status, a tier, a format)."""
        return getattr(self, key)


# -- form.yaml -----------------------------------------------------------------------------------


class Question(Model):
    key: str
    vi: str
    en: str
    required: bool
    kind: Literal["timestamp", "text", "year", "choice", "phone", "email", "unit", "sector",
                  "field", "long_text", "date", "money"]  # fmt: skip


class FormLayout(Model):
    questions: tuple[Question, ...]
    genders: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _keys_unique(self) -> FormLayout:
        keys = [q.key for q in self.questions]
        repeated = sorted({k for k in keys if keys.count(k) > 1})
        if repeated:
            raise ValueError(f"question key {repeated[0]!r} appears twice")
        if "timestamp" not in keys:
            raise ValueError("no question has key 'timestamp'")
        return self

    def question(self, key: str) -> Question:
        return next(q for q in self.questions if q.key == key)


# -- outputs.yaml: sheets ------------------------------------------------------------------------


class Column(Model):
    key: str  # the value's name in a writer's record
    header: str  # Vietnamese header shown to officers
    width: float = 14
    format: Format = "text"
    wrap: bool = False
    hidden: bool = False
    # Officer-owned: the sync reads it back and keeps it; everything else is sync-owned.
    review: bool = False
    # A data-validation spec (see outputs.yaml, `validations`), by name.
    validation: str | None = None
    # Tiers whose sheets show the column; None shows it everywhere.
    tiers: tuple[Tier, ...] | None = None
    # A wrapped column makes its row tall enough for its text, unless this is False.
    sets_height: bool = True
    # A note on the header cell (a code behind a Vietnamese header).
    note: str | None = None
    # Other headers an officer may give a review column (renamed, shortened, translated).
    aliases: tuple[str, ...] = ()


class Highlight(Model):
    """Rows whose cell in `column` equals, or starts with, a text are filled."""

    column: str  # key of the column whose value decides
    equals: str | None = None
    starts_with: str | None = None
    fill: Colour

    @model_validator(mode="after")
    def _one_test(self) -> Highlight:
        if (self.equals is None) == (self.starts_with is None):
            raise ValueError("give exactly one of `equals` or `starts_with`")
        return self


class SheetSpec(Model):
    title: str
    columns: tuple[Column, ...]
    highlights: tuple[Highlight, ...] = ()
    freeze_columns: int = Field(0, ge=0)
    empty: str | None = None  # shown under the header when there is no row
    print_through: str | None = None  # the last column key that prints (all when None)
    print_rows: int | None = Field(None, gt=0)  # the first data rows that print (all when None)

    @model_validator(mode="after")
    def _highlighted_columns_exist(self) -> SheetSpec:
        keys = {c.key for c in self.columns}
        for rule in self.highlights:
            if rule.column not in keys:
                raise ValueError(f"highlight names column {rule.column!r}, which is not listed")
        if self.print_through is not None and self.print_through not in keys:
            raise ValueError(f"print_through names column {self.print_through!r}, not listed")
        return self


@dataclass(frozen=True, slots=True)
class SheetLayout:
    name: str  # tab title
    columns: tuple[Column, ...]
    highlights: tuple[Highlight, ...] = ()
    freeze_columns: int = 0
    empty: str | None = None
    print_through: str | None = None
    print_rows: int | None = None
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


def sheet_layout(data: Mapping[str, Any]) -> SheetLayout:
    """One sheet's layout from its YAML mapping (title, columns, highlights, freeze_columns);
    other keys of the mapping (a dossier's words) are not the layout's."""
    names = ("title", "columns", "highlights", "freeze_columns", "empty", "print_through",
             "print_rows")  # fmt: skip
    spec = SheetSpec.model_validate({k: v for k, v in data.items() if k in names})
    return _layout(spec)


def _layout(spec: SheetSpec) -> SheetLayout:
    return SheetLayout(
        spec.title,
        spec.columns,
        spec.highlights,
        spec.freeze_columns,
        spec.empty,
        spec.print_through,
        spec.print_rows,
    )


# -- outputs.yaml: words, formats, styles, validations, dashboard --------------------------------


class StatusWords(Model):
    valid: str
    invalid: str
    duplicate: str


class TierWords(Model):
    province: str
    superior: str
    grassroots: str


class SeverityWords(Model):
    error: str
    warning: str


class Labels(Model):
    status: StatusWords
    tier: TierWords
    folder: TierWords  # output folder per tier
    severity: SeverityWords
    unmatched_unit: str


class Formats(Model):
    """Number format per column format name (Excel's codes; Google reads the same patterns)."""

    text: str
    number: str
    int: str
    plain: str
    money: str
    date: str
    datetime: str
    percent: str


class Styles(Model):
    header_fill: Colour
    header_font: Colour
    review_header_fill: Colour  # officer-owned columns
    review_cell_fill: Colour
    title_size: int = Field(14, ge=6)


class ChoiceLists(Model):
    appraisal: tuple[str, ...]
    checkbox: tuple[str, ...]


class Validation(Model):
    """A dropdown (`list`, which only warns) or a number range (`decimal`/`whole`, which
    refuses other input) of an officer-owned column."""

    title: str
    message: str
    choices: Literal["appraisal", "checkbox"] | None = Field(None, alias="list")
    decimal: tuple[int | float, int | float] | None = None
    whole: tuple[int, int] | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Validation:
        given = [k for k in ("choices", "decimal", "whole") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of `list`, `decimal` or `whole`")
        return self


class AppraisalWords(Model):
    pending: str
    passed: str
    failed: str


class ArchivedReasons(Model):
    removed: str
    withdrawn: str


class NotEligibleReasons(Model):
    complaint: str
    dispute: str
    invalid: str
    duplicate: str


class TierReachedWords(Model):
    """In order, lowest tier first."""

    grassroots: str
    superior: str
    province: str
    national: str


class OutcomeWords(Model):
    passed: str
    national: str
    blocked: str


class LookupWords(Model):
    pending: str
    passed: str
    failed: str
    invalid: str
    duplicate: str
    reached: str
    national: str


class CommendationWords(Model):
    most: str
    selected: str


class CarriedReasons(Model):
    """Why an officer's cell sits in the carried tab instead of beside its row."""

    gone: str  # its row is no longer listed
    no_id: str  # its row had no id
    comment: str  # an officer's comment on a cell the sheet no longer shows


class ReviewWords(Model):
    choices: ChoiceLists
    appraisal: AppraisalWords
    ticked: tuple[str, ...]  # anything an officer may type for a ticked box
    summary_chars: int = Field(160, gt=0)  # the short description beside the review
    lookup_file: str
    archived_reason: ArchivedReasons
    not_eligible: NotEligibleReasons
    tier_reached: TierReachedWords
    outcome: OutcomeWords
    lookup: LookupWords
    commendation: CommendationWords
    carried_reason: CarriedReasons


class DashboardTotals(Model):
    received: str
    valid: str
    invalid: str
    duplicate: str
    authors: str
    benefit_vnd: str


ChartKey = Literal["by_day", "participation", "funnel", "by_field"]


class Chart(Model):
    caption: str
    kind: Literal["line", "bar", "column", "pie"]
    column: Literal[0, 1] = 0  # which of the two columns of charts
    width: int = Field(560, gt=0)  # pixels
    height: int = Field(300, gt=0)
    per_item: int = Field(0, ge=0)  # pixels more per category, so bars are never squeezed


class FunnelWords(Model):
    received: str
    valid: str
    appraised: str
    nominated: str
    passed: str
    national: str


class ProgressState(Model):
    text: str
    fill: Colour


class ProgressStates(Model):
    """Least advanced first."""

    none: ProgressState
    over: ProgressState
    reviewed: ProgressState
    nominated: ProgressState


class ProgressWords(Model):
    heading: str
    unit: str
    state: str
    quota: str
    states: ProgressStates


class DashboardWords(Model):
    title: str
    heading: str
    generated: str
    days_left: str
    closed: str
    totals: DashboardTotals
    funnel: FunnelWords
    progress: ProgressWords
    widths: tuple[float, float, float] = (50, 15, 15)
    gap: int = Field(12, ge=0)
    charts: dict[ChartKey, Chart]


class PrintWords(Model):
    portrait_up_to: float = Field(100, gt=0)  # characters of printed columns
    header: str  # over {title}
    footer: str  # over {unit} and {sheet}
    page: str  # over {page} and {pages}


_SHEETS = ("initiatives", "all_initiatives", "problems", "tallies", "audit", "registry", "archive",
           "national", "commendation", "lookup", "chart_data", "carried")  # fmt: skip


class Outputs(Model):
    labels: Labels
    formats: Formats
    styles: Styles
    sheets: dict[str, SheetSpec]
    validations: dict[str, Validation] = {}
    review: ReviewWords
    dashboard: DashboardWords
    print: PrintWords

    @model_validator(mode="after")
    def _references_resolve(self) -> Outputs:
        missing = [name for name in _SHEETS if name not in self.sheets]
        if missing:
            raise ValueError(f"sheets: no layout named {missing[0]!r}")
        for name, sheet in self.sheets.items():
            for column in sheet.columns:
                if column.validation and column.validation not in self.validations:
                    raise ValueError(
                        f"sheets.{name}: column {column.key!r} names validation "
                        f"{column.validation!r}, which is not under `validations`"
                    )
        return self


# -- dossier.yaml --------------------------------------------------------------------------------


class DossierFiles(Model):
    folder: str
    summary: str  # file name templates over {unit_id}
    letter: str


class DossierSummary(SheetSpec):
    heading: str
    attached: str
    total: str
    held_heading: str
    held_note: str
    claimed: str
    summary_chars: int = Field(gt=0)
    born: str
    workplace: str
    footer: str


class DossierPage(Model):
    width_mm: float = Field(gt=0)
    height_mm: float = Field(gt=0)
    margins_mm: dict[Literal["top", "bottom", "left", "right"], float]


class LetterWords(Model):
    font: str
    size: int = Field(gt=0)
    header_size: int = Field(gt=0)
    title_size: int = Field(gt=0)
    columns_mm: tuple[float, float]
    indent_mm: float = Field(ge=0)
    motto: tuple[str, str]
    national_name: str
    abbreviation: dict[str, str]
    number: str
    place_date: str
    kind: str
    subject: str
    recipient: str
    intro: str
    nominee: str
    nominee_parts: dict[Literal["field", "benefit", "appraisal"], str]
    money: str
    confirmed: str
    claimed: str
    held_heading: str
    held: str
    closing: str
    recipients: tuple[str, ...]
    signature: dict[Literal["grassroots", "other"], str]
    signer: str
    signer_blank: str
    sign_space_lines: int = Field(ge=0)


class DossierLayout(Model):
    files: DossierFiles
    page: DossierPage
    summary: DossierSummary
    letter: LetterWords


@dataclass(frozen=True, slots=True)
class Templates:
    form: FormLayout
    sheets: dict[str, SheetLayout]
    labels: Labels  # status, tier and severity names, other fixed Vietnamese words
    formats: Formats  # number format per column format name
    styles: Styles  # header and review colours
    dashboard: DashboardWords  # titles, totals and charts of the dashboard
    validations: dict[str, Validation]  # data-validation specs of officer-owned columns
    review: ReviewWords  # words of the review workflow: choices, reasons, tab titles
    printing: PrintWords  # page setup words


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: template file not found") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from None


M = TypeVar("M", bound=BaseModel)


def validated(model: type[M], path: Path) -> M:
    """The file checked against `model`; the first problem as one line naming file and key."""
    try:
        return model.model_validate(_read_yaml(path))
    except ValidationError as exc:
        error = exc.errors()[0]
        where = "".join(f"{part}: " for part in [".".join(map(str, error["loc"]))] if part)
        message = error["msg"].removeprefix("Value error, ")
        raise ConfigError(f"{path}: {where}{message}") from None


@cache
def load_templates(folder: Path = DEFAULT_TEMPLATES) -> Templates:
    form = validated(FormLayout, folder / "form.yaml")
    outputs = validated(Outputs, folder / "outputs.yaml")
    return Templates(
        form=form,
        sheets={name: _layout(spec) for name, spec in outputs.sheets.items()},
        labels=outputs.labels,
        formats=outputs.formats,
        styles=outputs.styles,
        dashboard=outputs.dashboard,
        validations=dict(outputs.validations),
        review=outputs.review,
        printing=outputs.print,
    )
