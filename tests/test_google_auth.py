"""Signing in: Google's installed-app flow against a fake OAuth server on localhost (no network),
the saved token's mode, its refresh, and what an officer reads when it was revoked or expired."""

from __future__ import annotations

import json
import re
import stat
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from typer.testing import CliRunner

from sync.cli import app
from sync.config import GoogleSettings
from sync.google import auth
from sync.google.auth import USER_SCOPES, AuthError
from sync.google.client import GoogleError, connect

ACCOUNT = "can.bo@example.vn"


class FakeGoogle(ThreadingHTTPServer):
    """Google's authorization, token and Drive `about` endpoints, as far as the flow uses them."""

    revoked = False
    refreshed = 0

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: FakeGoogle

    def log_message(self, *args: Any) -> None:
        pass

    def _json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/auth":  # the person consents at once
            answer = {"code": "the-code", "state": query["state"]}
            self.send_response(302)
            self.send_header("Location", f"{query['redirect_uri']}?{urlencode(answer)}")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif url.path == "/about":
            self._json(200, {"user": {"emailAddress": ACCOUNT}})
        else:
            self._json(404, {})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        if form.get("grant_type") == "refresh_token" and self.server.revoked:
            self._json(400, {"error": "invalid_grant", "error_description": "Token revoked."})
            return
        if form.get("grant_type") == "refresh_token":
            self.server.refreshed += 1
        self._json(
            200,
            {
                "access_token": f"access-{self.server.refreshed}",
                "refresh_token": "the-refresh-token",
                "expires_in": 3600,
                "token_type": "Bearer",
                "scope": " ".join(USER_SCOPES),
            },
        )


@pytest.fixture
def google(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the fake server speaks http
    server = FakeGoogle(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def settings(tmp_path: Path, google: FakeGoogle) -> GoogleSettings:
    client = tmp_path / "client.json"
    installed = {
        "client_id": "sangkien.apps.googleusercontent.com",
        "client_secret": "secret",
        "auth_uri": f"{google.root}/auth",
        "token_uri": f"{google.root}/token",
        "redirect_uris": ["http://localhost"],
    }
    client.write_text(json.dumps({"installed": installed}), encoding="utf-8")
    client.chmod(0o600)
    return GoogleSettings(auth="user", oauth_client=client, token=tmp_path / "cfg" / "token.json")


class _Browser:
    """Opens the consent address the way a browser would: in the background, following the
    redirect back to the flow's local server."""

    def open(self, url: str, **_: Any) -> bool:
        threading.Thread(target=requests.get, args=(url,), kwargs={"timeout": 10}).start()
        return True


def _login_with_browser(settings: GoogleSettings, google: FakeGoogle, monkeypatch) -> Any:
    monkeypatch.setattr("webbrowser.get", lambda *_: _Browser())
    return auth.login(settings, about_url=f"{google.root}/about")


def test_browser_flow_saves_a_private_token(settings, google, monkeypatch) -> None:
    identity = _login_with_browser(settings, google, monkeypatch)
    assert identity.account == ACCOUNT
    assert settings.token is not None
    assert stat.S_IMODE(settings.token.stat().st_mode) == 0o600
    saved = json.loads(settings.token.read_text(encoding="utf-8"))
    assert saved["refresh_token"] == "the-refresh-token"
    assert saved["account"] == ACCOUNT
    assert set(saved["scopes"]) == set(USER_SCOPES)


def test_headless_flow_takes_the_pasted_address(settings, google) -> None:
    def paste(prompt: str) -> str:
        url = re.search(r"http\S+/auth\S+", prompt)
        assert url is not None
        answer = requests.get(url.group(0), allow_redirects=False, timeout=10)
        return answer.headers["Location"]  # what the browser's address bar shows

    identity = auth.login(settings, browser=False, ask=paste, about_url=f"{google.root}/about")
    assert identity.account == ACCOUNT
    assert auth.user(settings).credentials.token == "access-0"


def test_pasted_address_without_a_code_is_explained(settings, google) -> None:
    with pytest.raises(AuthError, match="code="):
        auth.login(settings, browser=False, ask=lambda _: "http://localhost:1/?state=x")


def _expire(token: Path) -> None:
    saved = json.loads(token.read_text(encoding="utf-8"))
    saved["expiry"] = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    token.write_text(json.dumps(saved), encoding="utf-8")


def test_expired_access_token_is_refreshed_and_saved(settings, google, monkeypatch) -> None:
    _login_with_browser(settings, google, monkeypatch)
    assert settings.token is not None
    _expire(settings.token)
    identity = auth.user(settings)
    assert identity.credentials.token == "access-1"
    assert google.refreshed == 1
    assert json.loads(settings.token.read_text(encoding="utf-8"))["token"] == "access-1"
    assert stat.S_IMODE(settings.token.stat().st_mode) == 0o600


def test_revoked_sign_in_says_to_log_in_again(settings, google, monkeypatch) -> None:
    _login_with_browser(settings, google, monkeypatch)
    assert settings.token is not None
    _expire(settings.token)
    google.revoked = True
    with pytest.raises(AuthError) as raised:
        auth.user(settings)
    message = str(raised.value)
    assert "invalid_grant" in message and "7 days" in message and "sangkien login" in message
    with pytest.raises(GoogleError, match="sangkien login"):
        connect(settings)


def test_token_readable_by_others_is_refused(settings, google, monkeypatch) -> None:
    _login_with_browser(settings, google, monkeypatch)
    assert settings.token is not None
    settings.token.chmod(0o644)
    with pytest.raises(AuthError, match=f"chmod 600 {re.escape(str(settings.token))}"):
        auth.user(settings)


def test_no_sign_in_yet_says_to_log_in(settings) -> None:
    with pytest.raises(GoogleError, match="sangkien login"):
        connect(settings)


def test_service_account_key_readable_by_others_is_refused(tmp_path: Path) -> None:
    key = tmp_path / "key.json"
    key.write_text(json.dumps({"type": "service_account"}), encoding="utf-8")
    key.chmod(0o604)
    with pytest.raises(GoogleError, match="chmod 600"):
        connect(GoogleSettings(credentials=key))


def test_no_network_is_one_line_and_exit_5(
    settings, google, monkeypatch, tmp_path: Path, base_config: dict, write_config
) -> None:
    _login_with_browser(settings, google, monkeypatch)
    assert settings.token is not None
    saved = json.loads(settings.token.read_text(encoding="utf-8"))
    saved["token_uri"] = "http://127.0.0.1:9/token"  # nothing listens: like no network
    settings.token.write_text(json.dumps(saved), encoding="utf-8")
    _expire(settings.token)
    config = dict(base_config)
    config["output"] = {"kind": "google_sheets", "dir": str(tmp_path / "out")}
    config["google"] = {"auth": "user", "token": str(settings.token), "dashboard_spreadsheet": "k"}
    result = CliRunner().invoke(app, ["sync", "--config", str(write_config(config))])
    assert result.exit_code == 5, result.output
    assert "cannot reach Google" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("revoked", [True, False])
def test_token_refused_or_unreachable_mid_run_is_one_line(google, revoked: bool) -> None:
    from google.oauth2.credentials import Credentials

    google.revoked = revoked
    token_uri = f"{google.root}/token" if revoked else "http://127.0.0.1:9/token"
    credentials = Credentials(
        None, refresh_token="r", token_uri=token_uri, client_id="c", client_secret="s"
    )
    session = connect(GoogleSettings(auth="user"), credentials=credentials, account=ACCOUNT)
    expected = "refused the sign-in" if revoked else "cannot reach Google"
    with pytest.raises(GoogleError, match=expected):
        session.call("GET", f"{google.root}/about")


def test_sign_in_whose_account_google_does_not_name_is_not_saved(settings, google) -> None:
    with pytest.raises(AuthError, match="Drive API is enabled"):
        auth.login(
            settings,
            browser=False,
            ask=lambda _: "http://localhost:1/?code=the-code",
            about_url=f"{google.root}/nowhere",
        )
    assert settings.token is not None and not settings.token.exists()
