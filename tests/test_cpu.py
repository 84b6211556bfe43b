"""Which processors get numpy's AVX-512 targets left out (`sync/cpu.py`). Sources: numpy's
NPY_DISABLE_CPU_FEATURES (https://numpy.org/doc/stable/reference/simd/build-options.html) and
numpy/numpy#32690, where Zen 4's AVX-512 sort is measured slower than its AVX2 one."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sync.cpu import AVX512_TARGETS, DISABLE_VARIABLE, avoid_slow_avx512_sort, slow_avx512_sort


def x86(vendor: str, family: int, flags: str) -> str:
    """The lines of /proc/cpuinfo that matter, as Linux prints them for one processor."""
    return f"vendor_id\t: {vendor}\ncpu family\t: {family}\nmodel\t\t: 17\nflags\t\t: {flags}\n"


ZEN_4 = x86("AuthenticAMD", 25, "fpu avx2 avx512f avx512bw")
ZEN_3 = x86("AuthenticAMD", 25, "fpu avx2")
ZEN_5 = x86("AuthenticAMD", 26, "fpu avx2 avx512f")
ICE_LAKE = x86("GenuineIntel", 6, "fpu avx2 avx512f")
ARM = "processor\t: 0\nBogoMIPS\t: 243.75\nFeatures\t: fp asimd\nCPU implementer\t: 0x41\n"


@pytest.mark.parametrize(
    ("cpuinfo", "slow"),
    [(ZEN_4, True), (ZEN_3, False), (ZEN_5, False), (ICE_LAKE, False), (ARM, False), ("", False)],
    ids=["zen4", "zen3", "zen5", "ice-lake", "arm", "unreadable"],
)
def test_only_a_zen_4_with_avx512_counts_as_sorting_slowly(cpuinfo: str, slow: bool) -> None:
    assert slow_avx512_sort(cpuinfo) is slow


@pytest.mark.parametrize(
    ("cpuinfo", "numpy_version", "environ", "expected"),
    [
        (ZEN_4, "2.4.6", {}, AVX512_TARGETS),
        (ZEN_4, "3.0.0rc1", {}, AVX512_TARGETS),
        (ZEN_4, "2.3.5", {}, None),  # knows other names, and sorts no faster through AVX2
        (ZEN_4, "2.4.6", {DISABLE_VARIABLE: ""}, ""),  # set by the officer: theirs
        (ICE_LAKE, "2.4.6", {}, None),
    ],
    ids=["zen4", "newer-numpy", "older-numpy", "already-set", "intel"],
)
def test_numpy_is_told_to_leave_avx512_out_only_where_it_sorts_slowly(
    cpuinfo: str, numpy_version: str, environ: dict[str, str], expected: str | None
) -> None:
    avoid_slow_avx512_sort(environ, cpuinfo, numpy_version)
    assert environ.get(DISABLE_VARIABLE) == expected


def test_the_package_asks_before_numpy_is_imported() -> None:
    """numpy reads the variable once, when first imported: importing the package must not
    import it first."""
    code = "import sys, sync.cpu; print('numpy' in sys.modules)"
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert shown.stdout.strip() == "False"
