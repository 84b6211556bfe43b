"""Point unmodified clients (gspread, google-auth's AuthorizedSession) at the emulator.

A ``requests`` transport adapter is mounted for Google's API origins; it rewrites each URL
to the emulator's base URL just before sending, so client code keeps building the real
``https://sheets.googleapis.com/...`` URLs.
"""

from __future__ import annotations

from typing import Any, Protocol

import gspread
import requests
from google.auth.credentials import Credentials as BaseCredentials
from google.auth.transport.requests import AuthorizedSession, Request
from gspread.http_client import HTTPClient, HTTPClientType
from requests.adapters import HTTPAdapter

GOOGLE_ORIGINS = (
    "https://sheets.googleapis.com",
    "https://www.googleapis.com",
    "https://forms.googleapis.com",
    "https://oauth2.googleapis.com",
)


class EmulatorLike(Protocol):
    @property
    def base_url(self) -> str: ...

    def credentials(self, account: str | None = None) -> BaseCredentials: ...


def rewrite_url(url: str, base_url: str) -> str:
    """``https://sheets.googleapis.com/v4/...`` -> ``<base_url>/v4/...``; others unchanged."""
    for origin in GOOGLE_ORIGINS:
        if url.startswith(origin + "/"):
            return base_url.rstrip("/") + url[len(origin) :]
    return url


class EmulatorAdapter(HTTPAdapter):
    """Sends requests addressed to Google's origins to the emulator instead."""

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        request.url = rewrite_url(request.url or "", self.base_url)
        # Proxies were chosen for the Google URL; the emulator is local and must not be
        # reached through an HTTP(S)_PROXY from the environment.
        kwargs["proxies"] = {}
        return super().send(request, *args, **kwargs)


def mount_emulator(session: requests.Session, base_url: str) -> requests.Session:
    """Route this session's Google API traffic to ``base_url``; returns the session."""
    adapter = EmulatorAdapter(base_url)
    for origin in GOOGLE_ORIGINS:
        session.mount(origin + "/", adapter)
    return session


def emulator_session(emulator: EmulatorLike) -> requests.Session:
    """A plain ``requests`` session (no credentials) that talks to the emulator."""
    return mount_emulator(requests.Session(), emulator.base_url)


def authorized_session(
    emulator: EmulatorLike,
    credentials: BaseCredentials | None = None,
    *,
    account: str | None = None,
) -> AuthorizedSession:
    """An ``AuthorizedSession`` for direct Sheets/Drive/Forms REST calls to the emulator.

    Token refreshes (e.g. of real service-account credentials) also go to the emulator,
    whose token endpoint issues a token bound to the account in the signed assertion.
    """
    credentials = credentials or emulator.credentials(account)
    token_session = emulator_session(emulator)
    session = AuthorizedSession(credentials, auth_request=Request(token_session))
    mount_emulator(session, emulator.base_url)
    return session


def emulator_client(
    emulator: EmulatorLike,
    credentials: BaseCredentials | None = None,
    *,
    account: str | None = None,
    http_client: HTTPClientType = HTTPClient,
) -> gspread.Client:
    """A real ``gspread.Client`` whose HTTP traffic goes to the emulator."""
    credentials = credentials or emulator.credentials(account)
    session = authorized_session(emulator, credentials)
    return gspread.Client(auth=credentials, session=session, http_client=http_client)
