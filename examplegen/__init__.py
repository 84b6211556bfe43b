"""Sample form responses for the bundled example, tests and benchmarks (not installed)."""

from .generator import (
    SHEET_NAME,
    GeneratedSet,
    generate_responses,
    main,
    write_example,
    write_responses_csv,
    write_responses_xlsx,
)

__all__ = [
    "SHEET_NAME",
    "GeneratedSet",
    "generate_responses",
    "main",
    "write_example",
    "write_responses_csv",
    "write_responses_xlsx",
]
