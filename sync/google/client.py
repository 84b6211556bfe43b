"""One authorised connection to Google: gspread for Sheets, the same HTTP client for Drive and
Forms, with a client-side rate limit and retries, and errors an IT officer can act on."""

from __future__ import annotations

import json
import os
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import gspread
import requests
from gspread.exceptions import APIError
from gspread.http_client import HTTPClient

from ..config import GoogleSettings
from ..errors import GoogleError, UncertainWrite

SCOPES = (
    "https://www.googleapis.com/auth/spreadsheets",
    "https://www.googleapis.com/auth/drive",
    "https://www.googleapis.com/auth/forms.body",
)
CREDENTIALS_ENV = "GOOGLE_APPLICATION_CREDENTIALS"
DRIVE_FILES = "https://www.googleapis.com/drive/v3/files"
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
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

    @classmethod
    def from_settings(cls, settings: GoogleSettings, **overrides: Any) -> Policy:
        values = {
            "reads": RateLimiter(settings.reads_per_minute),
            "writes": RateLimiter(settings.writes_per_minute),
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
            else:
                if response.ok:
                    return response
                if response.status_code not in RETRY_STATUSES:
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
        code = exc.response.status_code
        if code == 403:
            return GoogleError(
                f"{what}: access denied. Share it with the service account {self.account} "
                "(as an editor) and run the sync again"
            )
        if code == 404:
            return GoogleError(f"{what}: not found (check the spreadsheet key and the tab name)")
        return GoogleError(f"{what}: Google answered {code}: {exc.error.get('message', exc)}")


def connect(
    settings: GoogleSettings,
    *,
    credentials: Any = None,
    session: requests.Session | None = None,
    policy: Policy | None = None,
    account: str | None = None,
) -> GoogleSession:
    """Authenticate with the service-account key (config or GOOGLE_APPLICATION_CREDENTIALS).
    Tests pass their own credentials and session, which reach a local Sheets API server."""
    if credentials is None:
        credentials, account = _service_account(settings)
    policy = policy or Policy.from_settings(settings)
    client = gspread.Client(
        credentials, session=session, http_client=partial(LimitedHTTPClient, policy=policy)
    )
    return GoogleSession(client, account or getattr(credentials, "service_account_email", "?"))


def key_path(settings: GoogleSettings, environ: Mapping[str, str] = os.environ) -> Path | None:
    """The service-account key: the config's, else the standard environment variable's."""
    if settings.credentials is not None:
        return settings.credentials
    env = environ.get(CREDENTIALS_ENV)
    return Path(env) if env else None


def _service_account(settings: GoogleSettings) -> tuple[Any, str]:
    from google.oauth2.service_account import Credentials

    path = key_path(settings)
    if path is None:
        raise GoogleError(
            "no Google credentials: set google.credentials in config.yaml to the service-account "
            "key file, or the GOOGLE_APPLICATION_CREDENTIALS environment variable"
        )
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        credentials = Credentials.from_service_account_info(info, scopes=SCOPES)
    except FileNotFoundError:
        raise GoogleError(f"{path}: service-account key file not found") from None
    except (OSError, ValueError, KeyError) as exc:
        raise GoogleError(f"{path}: not a service-account key file ({exc})") from None
    return credentials, credentials.service_account_email


def spreadsheet_key(text: str) -> str:
    """A spreadsheet, form or folder key from a bare key or any Google address."""
    for marker in ("/d/", "/folders/"):
        if marker in text:
            return text.split(marker, 1)[1].split("/", 1)[0].split("?", 1)[0]
    return text.strip()
