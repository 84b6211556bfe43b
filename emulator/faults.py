"""Scheduled failures: rate limits, server errors, slow answers and dropped connections.

Usage::

    emu.faults.schedule(Fault.rate_limit(retry_after=0.01))            # next request
    emu.faults.schedule(Fault.server_error(), times=2, method="sheets.spreadsheets.batchUpdate")
    emu.faults.schedule([Fault.unavailable(), None, Fault.drop()])     # per request, in order
    emu.faults.schedule(Fault.rate_limit(), probability=0.2, seed=7)   # random but repeatable
    emu.faults.schedule(lambda info: Fault.drop() if info.is_write else None)

Rules are consulted in the order they were scheduled; the first that returns a fault wins.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Literal

FaultKind = Literal["status", "slow", "drop", "drop_after_apply"]
# Drive's 403 rate-limit reasons -> (message, domain), as Google's "Resolve errors" page shows.
DRIVE_RATE_LIMITS = {
    "userRateLimitExceeded": ("User Rate Limit Exceeded", "usageLimits"),
    "rateLimitExceeded": ("Rate Limit Exceeded", "usageLimits"),
    "sharingRateLimitExceeded": (
        'Rate limit exceeded. User message: "Sorry, you have exceeded your sharing quota."',
        "global",
    ),
}


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    status: int = 0
    retry_after: float | None = None
    delay: float = 0.0
    message: str | None = None
    # Drive's legacy ``errors[0].reason`` (and domain), e.g. "sharingRateLimitExceeded".
    reason: str | None = None
    domain: str = "global"

    @classmethod
    def drive_rate_limit(
        cls, reason: str = "userRateLimitExceeded", retry_after: float | None = None
    ) -> Fault:
        """One of Drive's 403 rate limits, with the body the "Resolve errors" page shows."""
        message, domain = DRIVE_RATE_LIMITS[reason]
        return cls("status", 403, retry_after, message=message, reason=reason, domain=domain)

    @classmethod
    def rate_limit(cls, retry_after: float | None = 1.0) -> Fault:
        """429 RESOURCE_EXHAUSTED. Google sends whole seconds; fractions keep tests fast."""
        return cls("status", 429, retry_after=retry_after)

    @classmethod
    def server_error(cls, status: int = 500) -> Fault:
        return cls("status", status)

    @classmethod
    def unavailable(cls, retry_after: float | None = None) -> Fault:
        return cls("status", 503, retry_after=retry_after)

    @classmethod
    def error(cls, status: int, message: str, retry_after: float | None = None) -> Fault:
        return cls("status", status, retry_after=retry_after, message=message)

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        """Answer normally, but only after ``seconds``: the request is applied."""
        return cls("slow", delay=seconds)

    @classmethod
    def drop(cls) -> Fault:
        """Close the connection without answering; nothing is applied."""
        return cls("drop")

    @classmethod
    def drop_after_apply(cls) -> Fault:
        """Apply the request, then close the connection without answering (lost reply)."""
        return cls("drop_after_apply")

    @property
    def label(self) -> str:
        return str(self.status) if self.kind == "status" else self.kind

    @property
    def applies_request(self) -> bool:
        return self.kind in ("slow", "drop_after_apply")


@dataclass(frozen=True)
class RequestInfo:
    """What a fault rule may look at to decide."""

    method_id: str
    http_method: str
    path: str
    is_write: bool
    sequence: int  # 1-based number of the routed request since the emulator started.


FaultPolicy = Callable[[RequestInfo], Fault | None]
FaultPlanInput = Fault | Sequence[Fault | None] | FaultPolicy


class _Rule:
    def __init__(
        self,
        decide: FaultPolicy,
        *,
        method: str | None,
        writes_only: bool,
        times: int | None,
        finished: Callable[[], bool],
    ) -> None:
        self._decide = decide
        self._finished = finished
        self._method = method
        self._writes_only = writes_only
        self.remaining = times

    def matches(self, info: RequestInfo) -> bool:
        if self._writes_only and not info.is_write:
            return False
        return self._method is None or fnmatchcase(info.method_id, self._method)

    def pick(self, info: RequestInfo) -> Fault | None:
        if self.remaining is not None and self.remaining <= 0:
            return None
        fault = self._decide(info)
        if fault is not None and self.remaining is not None:
            self.remaining -= 1
        return fault

    @property
    def exhausted(self) -> bool:
        return (self.remaining is not None and self.remaining <= 0) or self._finished()


class FaultPlan:
    """The emulator's fault schedule; also counts the faults it injected."""

    def __init__(self) -> None:
        self._rules: list[_Rule] = []
        self._lock = threading.Lock()
        self.fired: Counter[str] = Counter()  # by Fault.label: "429", "500", "drop", ...
        self.log: list[tuple[str, str]] = []  # (method id, fault label) in order

    def schedule(
        self,
        plan: FaultPlanInput,
        *,
        method: str | None = None,
        times: int | None = None,
        probability: float | None = None,
        seed: int = 0,
        writes_only: bool = False,
    ) -> None:
        """Add a rule.

        ``plan`` is a :class:`Fault` (fires for the next ``times`` matching requests, 1 by
        default, or with ``probability`` per request using a ``seed``-ed generator), a list
        of faults/None consumed one per matching request, or a callable ``info -> Fault|None``.
        ``method`` filters by discovery method id and may use shell wildcards
        (``"sheets.spreadsheets.values.*"``); ``writes_only`` limits the rule to writes.
        """
        decide, default_times, finished = _decider(plan, probability, seed)
        rule = _Rule(
            decide,
            method=method,
            writes_only=writes_only,
            times=times if times is not None else default_times,
            finished=finished,
        )
        with self._lock:
            self._rules.append(rule)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    @property
    def pending(self) -> int:
        """Rules that may still fire."""
        with self._lock:
            return sum(1 for rule in self._rules if not rule.exhausted)

    def pick(self, info: RequestInfo) -> Fault | None:
        with self._lock:
            self._rules = [rule for rule in self._rules if not rule.exhausted]
            for rule in self._rules:
                if rule.matches(info):
                    fault = rule.pick(info)
                    if fault is not None:
                        self.fired[fault.label] += 1
                        self.log.append((info.method_id, fault.label))
                        return fault
        return None


def _never() -> bool:
    return False


def _decider(
    plan: FaultPlanInput, probability: float | None, seed: int
) -> tuple[FaultPolicy, int | None, Callable[[], bool]]:
    """``(decide, default times, finished)`` for one kind of plan."""
    if isinstance(plan, Fault):
        if probability is None:
            return (lambda info: plan), 1, _never
        generator = random.Random(seed)
        return (lambda info: plan if generator.random() < probability else None), None, _never
    if callable(plan):
        return plan, None, _never
    queue = list(plan)
    position = [0]

    def next_in_sequence(info: RequestInfo) -> Fault | None:
        # Each matching request consumes one entry, including the None "pass" entries.
        if position[0] >= len(queue):
            return None
        position[0] += 1
        return queue[position[0] - 1]

    return next_in_sequence, None, lambda: position[0] >= len(queue)
