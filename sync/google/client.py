"""One authorised connection to Google: gspread for Sheets, the same HTTP client for Drive and
Forms, with a client-side rate limit and retries, and errors an IT officer can act on."""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import gspread
import requests
from google.auth.exceptions import RefreshError, TransportError
from gspread.exceptions import APIError
from gspread.http_client import HTTPClient

from ..config import GoogleSettings
from ..errors import GoogleError, UncertainWrite
from .auth import (
    CREDENTIALS_ENV,
    AuthError,
    key_path,
    no_network_words,
    refused_words,
    signed_in,
)

__all__ = ["CREDENTIALS_ENV", "key_path"]  # doctor reads them from here

DRIVE_ROOT = "https://www.googleapis.com/drive/"
DRIVE_FILES = DRIVE_ROOT + "v3/files"
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# Drive signals its rate limits with 403 and one of these reasons; they are retried like a 429.
RATE_LIMIT_REASONS = frozenset(
    {"sharingRateLimitExceeded", "userRateLimitExceeded", "rateLimitExceeded"}
)
THREE_WAYS = (
    "a service account has no Drive storage of its own, so it cannot create spreadsheets "
    "outside a shared drive. Choose one of the three ways in config.yaml (see README, «Connect "
    "to Google»): google.auth: user (sign in as a person with `sangkien login`; files are "
    "theirs), google.owner: shared_drive (a Google Workspace shared drive the service account "
    "is a member of), or google.owner: apps_script (run the script of `sangkien "
    "spreadsheets-script`, which creates the spreadsheets as the provincial officer)"
)
MAX_BACKOFF_SECONDS = 64.0


@dataclass
class RateLimiter:
    """At most `per_minute` calls in any 60-second window (Google's quota is per minute per
    user); a caller over the limit waits rather than earning a 429."""

    per_minute: int
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _calls: deque[float] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def acquire(self) -> None:
        with self._lock:
            now = self.clock()
            while self._calls and now - self._calls[0] >= 60:
                self._calls.popleft()
            if len(self._calls) >= self.per_minute:
                self.sleep(60 - (now - self._calls[0]))
                now = self.clock()
                self._calls.popleft()
            self._calls.append(now)


@dataclass(frozen=True)
class Policy:
    reads: RateLimiter
    writes: RateLimiter
    max_retries: int
    timeout: float
    sleep: Callable[[float], None] = time.sleep
    base_delay: float = 1.0
    # Drive's quota is its own and far larger than the Sheets API's 60 a minute; None: Drive
    # calls count as Sheets reads and writes.
    drive: RateLimiter | None = None

    @classmethod
    def from_settings(cls, settings: GoogleSettings, **overrides: Any) -> Policy:
        values = {
            "reads": RateLimiter(settings.reads_per_minute),
            "writes": RateLimiter(settings.writes_per_minute),
            "drive": RateLimiter(settings.drive_per_minute),
            "max_retries": settings.max_retries,
            "timeout": settings.timeout_seconds,
        }
        values.update(overrides)
        return cls(**values)

    def delay(self, attempt: int, retry_after: str | None) -> float:
        """Google's Retry-After when it gives one, else exponential back-off with full jitter."""
        if retry_after:
            try:
                return min(float(retry_after), MAX_BACKOFF_SECONDS)
            except ValueError:
                pass
        return random.uniform(0, min(MAX_BACKOFF_SECONDS, self.base_delay * 2**attempt))


def repeatable(method: str, url: str) -> bool:
    """Whether sending the request twice does no harm. A Sheets batchUpdate adds tabs, charts
    and protections: applied twice it fails ("Sheet with ID ... already exists") or duplicates."""
    return not (method.upper() == "POST" and url.split("?")[0].endswith(":batchUpdate"))


def error_reason(response: requests.Response) -> str:
    """Google's machine-readable reason: Drive's errors[].reason, else the Sheets/Forms status
    (PERMISSION_DENIED…) or the details' reason."""
    try:
        error = response.json().get("error", {})
    except ValueError:
        return ""
    if not isinstance(error, dict):
        return ""
    for item in error.get("errors") or ():
        if item.get("reason"):
            return str(item["reason"])
    for detail in error.get("details") or ():
        if isinstance(detail, dict) and detail.get("reason"):
            return str(detail["reason"])
    return str(error.get("status") or "")


def _retryable(response: requests.Response) -> bool:
    if response.status_code in RETRY_STATUSES:
        return True
    return response.status_code == 403 and error_reason(response) in RATE_LIMIT_REASONS


def _is_write(method: str, url: str) -> bool:
    # spreadsheets.get and values.get/batchGet are the reads; everything else changes something.
    if method.upper() == "GET":
        return False
    return not url.rstrip("/").endswith(":batchGet") and "/developerMetadata:search" not in url


class LimitedHTTPClient(HTTPClient):
    """gspread's HTTP client with the rate limit, retries and timeouts of the sync's policy."""

    def __init__(self, auth: Any, session: requests.Session | None = None, *, policy: Policy):
        super().__init__(auth, session)
        self.policy = policy
        self.timeout = policy.timeout

    def request(self, method: str, endpoint: str, **kwargs: Any) -> requests.Response:
        limiter = self.policy.writes if _is_write(method, endpoint) else self.policy.reads
        if self.policy.drive is not None and endpoint.startswith(DRIVE_ROOT):
            limiter = self.policy.drive
        attempt = 0
        while True:
            limiter.acquire()
            try:
                response = self.session.request(
                    method=method, url=endpoint, timeout=self.timeout, **kwargs
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                failure: str = f"no answer ({type(exc).__name__})"
                retry_after = None
                # Refused before the body left: whatever the request, nothing was applied.
                if not isinstance(exc, requests.ConnectTimeout):
                    self._refuse_blind_retry(method, endpoint, failure)
            except TransportError as exc:  # the token could not be refreshed: no network
                raise GoogleError(no_network_words(exc)) from None
            except RefreshError as exc:
                raise GoogleError(refused_words(str(exc).split(",")[0][:80])) from None
            else:
                if response.ok:
                    return response
                if not _retryable(response):
                    raise APIError(response)
                failure = f"HTTP {response.status_code}"
                retry_after = response.headers.get("Retry-After")
                if response.status_code != 429:  # a 429 is never applied
                    self._refuse_blind_retry(method, endpoint, failure)
            if attempt >= self.policy.max_retries:
                raise GoogleError(
                    f"Google did not answer {method} {endpoint.split('?')[0]} after "
                    f"{attempt + 1} tries ({failure}); nothing more was written, try again later"
                )
            self.policy.sleep(self.policy.delay(attempt, retry_after))
            attempt += 1

    @staticmethod
    def _refuse_blind_retry(method: str, endpoint: str, failure: str) -> None:
        if not repeatable(method, endpoint):
            raise UncertainWrite(method, endpoint, failure)


@dataclass
class GoogleSession:
    client: gspread.Client
    account: str  # the service account's e-mail, for messages about access

    @property
    def http(self) -> LimitedHTTPClient:
        return self.client.http_client  # type: ignore[return-value]

    def call(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        """A direct REST call (Drive, Forms, or a Sheets method gspread lacks)."""
        try:
            response = self.http.request(method, url, **kwargs)
        except APIError as exc:
            raise self.explain(exc, url) from None
        return response.json() if response.content else {}

    def explain(self, exc: APIError, what: str) -> GoogleError:
        return explain_refusal(exc.response, what, self.account)


def explain_refusal(response: requests.Response, what: str, account: str) -> GoogleError:
    """Google's refusal in words an IT officer can act on, by its status and reason."""
    code = response.status_code
    reason = error_reason(response)
    if reason == "storageQuotaExceeded":
        return GoogleError(f"{what}: Google refused to create it: {THREE_WAYS}")
    if reason in RATE_LIMIT_REASONS:
        return GoogleError(
            f"{what}: Google's rate limit ({reason}) held after every retry; run the sync again "
            "later, or lower google.writes_per_minute in config.yaml"
        )
    if reason == "invalidSharingRequest":
        return GoogleError(f"{what}: Google refused to share it with that address ({reason})")
    if code in (401, 403):
        return GoogleError(
            f"{what}: access denied ({reason or code}). Share it with {account} (as an editor) "
            "and run the sync again"
        )
    if code == 404:
        return GoogleError(
            f"{what}: not found (check the key or address, and that it is shared with {account})"
        )
    message = _error_message(response)
    return GoogleError(f"{what}: Google answered {code} {reason}: {message}".replace("  ", " "))


def _error_message(response: requests.Response) -> str:
    try:
        return str(response.json().get("error", {}).get("message", ""))[:300]
    except (ValueError, AttributeError):
        return response.text[:300]


def connect(
    settings: GoogleSettings,
    *,
    credentials: Any = None,
    session: requests.Session | None = None,
    policy: Policy | None = None,
    account: str | None = None,
) -> GoogleSession:
    """Sign in the configured way (a person's saved token, or a service-account key). Tests pass
    their own credentials and session, which reach a local Sheets API server."""
    if credentials is None:
        try:
            identity = signed_in(settings)
        except AuthError as exc:
            raise GoogleError(str(exc)) from None
        credentials, account = identity.credentials, identity.account
    policy = policy or Policy.from_settings(settings)
    client = gspread.Client(
        credentials, session=session, http_client=partial(LimitedHTTPClient, policy=policy)
    )
    return GoogleSession(client, account or getattr(credentials, "service_account_email", "?"))


def spreadsheet_key(text: str) -> str:
    """A spreadsheet, form or folder key from a bare key or any Google address."""
    for marker in ("/d/", "/folders/"):
        if marker in text:
            return text.split(marker, 1)[1].split("/", 1)[0].split("?", 1)[0]
    return text.strip()
