"""sangkien-sync. Before any of its modules imports numpy, numpy is told which of its
optimisations this machine runs slower than the plain ones (`cpu.prefer_fast_sort`)."""

from .cpu import prefer_fast_sort

prefer_fast_sort()
