"""numpy's sorts on AMD Zen 4, whose AVX-512 sorting runs several times slower than its AVX2
one: the instruction that sorting's partition step uses on every vector (a compressing store
to memory) is microcoded there. De-duplication sorts arrays of hundreds of millions of numbers
at national scale: on a Zen 4 EPYC, 50 million 64-bit numbers take 4.1 s through AVX-512 and
0.7 s through AVX2.

numpy reads which of its optimisations to leave out (`NPY_DISABLE_CPU_FEATURES`) once, as it is
first imported: `sync/__init__.py` asks before any module imports numpy. The names are those of
numpy 2.4 and later; an older numpy sorts no faster through AVX2 and is left as it is.
"""

from __future__ import annotations

import os
import re
from collections.abc import MutableMapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

DISABLE_VARIABLE = "NPY_DISABLE_CPU_FEATURES"
# numpy 2.4's names of its AVX-512 targets: the sorts' (X86_V4) and those that require it.
AVX512_TARGETS = "X86_V4 AVX512_ICL AVX512_SPR"
_NAMES_SINCE = (2, 4)
_AMD = "AuthenticAMD"
_ZEN_3_AND_4_FAMILY = 25  # 0x19; Zen 3 has no AVX-512, Zen 5 (0x1A) compresses to memory fast


def slow_avx512_sort(cpuinfo: str) -> bool:
    """Whether the processor described (the text of /proc/cpuinfo) is a Zen 4 with AVX-512."""

    def field(name: str) -> str:
        found = re.search(rf"^{name}\s*:\s*(.*)$", cpuinfo, flags=re.MULTILINE)
        return found.group(1).strip() if found else ""

    return (
        field("vendor_id") == _AMD
        and field("cpu family") == str(_ZEN_3_AND_4_FAMILY)
        and "avx512f" in field("flags").split()
    )


def numpy_names_known(numpy_version: str) -> bool:
    """Whether this numpy version knows `AVX512_TARGETS` by those names."""
    parts = re.findall(r"\d+", numpy_version)[:2]
    return tuple(map(int, parts)) >= _NAMES_SINCE


def avoid_slow_avx512_sort(
    environ: MutableMapping[str, str], cpuinfo: str, numpy_version: str
) -> None:
    """Leave numpy's AVX-512 targets out on a Zen 4, unless the variable is set already (by
    the officer or a parent process, which know better)."""
    if DISABLE_VARIABLE in environ or not numpy_names_known(numpy_version):
        return
    if slow_avx512_sort(cpuinfo):
        environ[DISABLE_VARIABLE] = AVX512_TARGETS


def prefer_fast_sort() -> None:
    """`avoid_slow_avx512_sort` for this machine and this process, before numpy is imported."""
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text(errors="replace")
        numpy_version = version("numpy")
    except (OSError, PackageNotFoundError):  # not Linux, or no numpy: nothing to choose
        return
    avoid_slow_avx512_sort(os.environ, cpuinfo, numpy_version)
