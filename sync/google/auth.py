"""Signing in to Google: a person through Google's installed-app OAuth flow (`sangkien login`),
or a service account through its JSON key.

The person's token is kept in a per-user config folder, never in the campaign folder (which is
copied, zipped and mailed around), and is readable only by its owner. A key or token file that
other users of the machine can read is refused, with the command that fixes it.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ..config import GoogleSettings
from ..errors import GoogleError

# A person signs in with the narrowest scopes the sync can work with: every spreadsheet it reads
# or writes (the form's responses, the dashboard, the units'), only the Drive files and folders
# the sync itself created (to create and share them), and the body of the forms (to close one).
USER_SCOPES = (
    "https://www.googleapis.com/auth/spreadsheets",
    "https://www.googleapis.com/auth/drive.file",
    "https://www.googleapis.com/auth/forms.body",
)
# A service account must list and share in a shared drive whose folders a person created, which
# drive.file does not allow.
SERVICE_ACCOUNT_SCOPES = (
    "https://www.googleapis.com/auth/spreadsheets",
    "https://www.googleapis.com/auth/drive",
    "https://www.googleapis.com/auth/forms.body",
)
CREDENTIALS_ENV = "GOOGLE_APPLICATION_CREDENTIALS"
ABOUT_URL = "https://www.googleapis.com/drive/v3/about"
APP_NAME = "sangkien"
TOKEN_NAME = "google-token.json"
# Where the browser lands on a machine without one: nothing listens there, and the address the
# browser shows still carries the code to paste back.
HEADLESS_REDIRECT = "http://localhost:1/"


class AuthError(GoogleError):
    """Signing in failed; the message says what to do."""


@dataclass(frozen=True)
class SignedIn:
    credentials: Any
    account: str  # the person's or the service account's e-mail, for messages and protection


def token_path(settings: GoogleSettings) -> Path:
    """The configured token file, else one in the per-user config folder of this machine."""
    if settings.token is not None:
        return settings.token
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_NAME)) / TOKEN_NAME


def key_path(settings: GoogleSettings, environ: Mapping[str, str] = os.environ) -> Path | None:
    """The service-account key: the config's, else the standard environment variable's."""
    if settings.credentials is not None:
        return settings.credentials
    env = environ.get(CREDENTIALS_ENV)
    return Path(env) if env else None


def exposure(path: Path) -> str | None:
    """A plain sentence when users other than its owner (its group, or everyone) can read the
    file, else None. POSIX permission bits mean nothing on Windows; there the folder's ACL
    protects it."""
    if os.name != "posix":
        return None
    if path.stat().st_mode & (stat.S_IRGRP | stat.S_IROTH):
        return f"{path}: readable by other users of this machine — run: chmod 600 {path}"
    return None


def _read_private(path: Path, what: str, remedy: str) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AuthError(f"{path}: {what} not found — {remedy}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AuthError(f"{path}: cannot read the {what} ({exc})") from None
    leaked = exposure(path)
    if leaked:
        raise AuthError(leaked)
    try:
        data = json.loads(text)
    except ValueError:
        raise AuthError(f"{path}: the {what} is not JSON — {remedy}") from None
    if not isinstance(data, dict):
        raise AuthError(f"{path}: the {what} is not a JSON object — {remedy}")
    return data


def service_account(settings: GoogleSettings) -> SignedIn:
    from google.oauth2.service_account import Credentials

    path = key_path(settings)
    if path is None:
        raise AuthError(
            "no Google credentials: set google.credentials in config.yaml to the service-account "
            f"key file, or the {CREDENTIALS_ENV} environment variable (or use google.auth: user)"
        )
    renew = "download a new JSON key (Google Cloud console > Service accounts > Keys)"
    info = _read_private(path, "service-account key", renew)
    try:
        credentials = Credentials.from_service_account_info(info, scopes=SERVICE_ACCOUNT_SCOPES)
    except (ValueError, KeyError) as exc:
        raise AuthError(f"{path}: not a service-account key ({exc}) — {renew}") from None
    return SignedIn(credentials, credentials.service_account_email)


LOGIN_AGAIN = "run `sangkien login` again"


def expired_words(reason: str) -> str:
    """What to do when Google refuses the stored token (`invalid_grant`)."""
    return (
        f"Google no longer accepts the saved sign-in ({reason}): it was revoked, the password "
        "changed, or it expired — an OAuth consent screen left in «Testing» expires sign-ins "
        "after 7 days (publish it: Google Cloud console > OAuth consent screen > Publish app). "
        f"Then {LOGIN_AGAIN}"
    )


def refused_words(reason: str) -> str:
    """Google refused to renew an access token in the middle of a run, either way of signing in."""
    return (
        f"Google refused the sign-in ({reason}): with google.auth: user, {LOGIN_AGAIN} (a consent "
        "screen left in «Testing» expires sign-ins after 7 days); with a service account, its "
        "key was deleted or disabled: create a new key (Google Cloud console > Service accounts)"
    )


def user(settings: GoogleSettings, refresh: Callable[[Any], None] | None = None) -> SignedIn:
    """The saved sign-in of `sangkien login`, refreshed when its access token expired."""
    from google.auth.exceptions import RefreshError
    from google.oauth2.credentials import Credentials

    path = token_path(settings)
    saved = _read_private(path, "saved sign-in", LOGIN_AGAIN)
    if not saved.get("account"):  # the protected ranges and messages name the account
        raise AuthError(f"{path}: the saved sign-in does not name its account — {LOGIN_AGAIN}")
    try:
        credentials = Credentials.from_authorized_user_info(saved, scopes=USER_SCOPES)
        if saved.get("token_uri"):  # the OAuth client's own, which the library would drop
            expiry = credentials.expiry
            credentials = credentials.with_token_uri(saved["token_uri"])
            credentials.expiry = expiry  # the copy forgets it
    except ValueError as exc:
        raise AuthError(f"{path}: not a saved sign-in ({exc}) — {LOGIN_AGAIN}") from None
    if not credentials.valid:
        try:
            (refresh or _refresh)(credentials)
        except RefreshError as exc:
            raise AuthError(expired_words(_refresh_reason(exc))) from None
        save_token(path, credentials, str(saved.get("account", "")))
    return SignedIn(credentials, str(saved["account"]))


def _refresh(credentials: Any) -> None:
    from google.auth.exceptions import TransportError
    from google.auth.transport.requests import Request

    try:
        credentials.refresh(Request())
    except TransportError as exc:
        raise AuthError(no_network_words(exc)) from None


def no_network_words(exc: BaseException) -> str:
    return f"cannot reach Google ({type(exc).__name__}): check this machine's internet connection"


def _refresh_reason(exc: Exception) -> str:
    text = str(exc)
    return "invalid_grant" if "invalid_grant" in text else text.split("\n")[0][:120]


def save_token(path: Path, credentials: Any, account: str) -> None:
    """Write the token readable only by its owner: the file is created with mode 0600, so it is
    never readable by others, not even for a moment."""
    data = json.loads(credentials.to_json())
    data["account"] = account
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = path.with_name(path.name + ".tmp")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    os.chmod(partial, 0o600)  # an existing file keeps its old mode through O_CREAT
    os.replace(partial, path)


def signed_in(settings: GoogleSettings) -> SignedIn:
    return user(settings) if settings.auth == "user" else service_account(settings)


# -- `sangkien login` ------------------------------------------------------------------------------


def _client_config(settings: GoogleSettings) -> dict[str, Any]:
    if settings.oauth_client is None:
        raise AuthError(
            "google.oauth_client is not set in config.yaml: create a «Desktop app» OAuth client "
            "(Google Cloud console > APIs & Services > Credentials), download its JSON and put "
            "its path there"
        )
    remedy = "download the «Desktop app» OAuth client's JSON again"
    config = _read_private(settings.oauth_client, "OAuth client file", remedy)
    if "installed" not in config:
        raise AuthError(
            f"{settings.oauth_client}: not a «Desktop app» OAuth client (create one of type "
            "Desktop app, not Web application)"
        )
    return config


def code_from_address(address: str) -> str:
    """The authorization code in the address the browser showed after consent."""
    query = parse_qs(urlsplit(address.strip()).query)
    if "error" in query:
        raise AuthError(f"Google refused the sign-in: {query['error'][0]}")
    if "code" not in query:
        raise AuthError("that address has no code=…; copy the whole address from the browser")
    return query["code"][0]


def login(
    settings: GoogleSettings,
    *,
    browser: bool = True,
    ask: Callable[[str], str] = input,
    port: int = 0,
    about_url: str = ABOUT_URL,
) -> SignedIn:
    """Google's installed-app flow. With a browser: it opens here and Google redirects to a
    local one-request server. Without (`browser=False`): the officer opens the printed address on
    any device and pastes back the address the browser ends on."""
    from google.auth.exceptions import TransportError
    from google_auth_oauthlib.flow import InstalledAppFlow
    from oauthlib.oauth2.rfc6749.errors import OAuth2Error
    from requests import RequestException

    flow = InstalledAppFlow.from_client_config(_client_config(settings), scopes=USER_SCOPES)
    try:
        if browser:
            credentials = flow.run_local_server(port=port, open_browser=True)
        else:
            flow.redirect_uri = HEADLESS_REDIRECT
            url, _ = flow.authorization_url(prompt="consent", access_type="offline")
            pasted = ask(
                f"Open this address on any device, sign in and allow access:\n{url}\n"
                "The browser then fails to open a localhost page; paste its whole address here: "
            )
            flow.fetch_token(code=code_from_address(pasted))
            credentials = flow.credentials
    except (TransportError, RequestException) as exc:
        raise AuthError(no_network_words(exc)) from None
    except OAuth2Error as exc:
        raise AuthError(f"Google refused the sign-in: {exc.error}") from None
    account = _account_of(flow.authorized_session(), about_url)
    if not account:
        raise AuthError(
            "signed in, but Google did not say which account (Drive's «about» failed): check "
            f"that the Google Drive API is enabled in the Cloud project, then {LOGIN_AGAIN}"
        )
    save_token(token_path(settings), credentials, account)
    return SignedIn(credentials, account)


def _account_of(session: Any, about_url: str) -> str:
    """The signed-in person's e-mail, from Drive's `about` (allowed by drive.file)."""
    from requests import RequestException

    try:
        response = session.get(about_url, params={"fields": "user(emailAddress)"}, timeout=60)
        return str(response.json().get("user", {}).get("emailAddress", "")) if response.ok else ""
    except (RequestException, ValueError):
        return ""  # only the messages lose the name; the sign-in itself is saved
