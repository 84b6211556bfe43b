"""Sample form responses for the bundled example, tests and benchmarks (not installed)."""

from .generator import *  # noqa: F403  (the generator's public names, listed in its __all__)
from .generator import __all__ as __all__
