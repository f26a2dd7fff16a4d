"""Single sign-on through OpenID Connect against a real, minimal provider on 127.0.0.1.

``Provider`` below is an identity provider in ~80 lines: discovery, JWKS, an authorize endpoint that signs in
whoever the test says and redirects back with a code, and a token endpoint that checks the client secret,
the redirect URI and the PKCE verifier before issuing an RS256 ID token made with a key generated here.
Tests can make it misbehave (another key, another nonce, another audience, an expired token).
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth.models import User

from harken.org.models import AuditEvent, Membership
from tests.conftest import screenshot

CLIENT_ID, CLIENT_SECRET = "harken-test", "s3cret-of-the-client"


def _rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class Provider:
    """A minimal OpenID provider serving one client; ``person`` is who signs in at the authorize endpoint."""

    def __init__(self) -> None:
        self.key, self.other_key = _rsa_key(), _rsa_key()
        self.person: dict[str, Any] = {"sub": "u-1", "email": "ana@acme.example", "email_verified": True}
        self.tamper: dict[str, Any] = {}  # claims to override in the next ID token; "sign_with_other_key"
        self.codes: dict[str, dict[str, str]] = {}
        self.token_requests: list[dict[str, str]] = []
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.issuer = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def jwks(self) -> dict[str, Any]:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**public, "kid": "k1", "use": "sig", "alg": "RS256"}]}

    def id_token(self, nonce: str) -> str:
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": CLIENT_ID, "iat": now, "exp": now + 300, "nonce": nonce, **self.person}
        claims.update({k: v for k, v in self.tamper.items() if k != "sign_with_other_key"})
        key = self.other_key if self.tamper.get("sign_with_other_key") else self.key
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        provider = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _json(self, body: dict[str, Any], status: int = 200) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                url = urllib.parse.urlsplit(self.path)
                if url.path == "/.well-known/openid-configuration":
                    self._json(
                        {
                            "issuer": provider.issuer,
                            "authorization_endpoint": f"{provider.issuer}/authorize",
                            "token_endpoint": f"{provider.issuer}/token",
                            "jwks_uri": f"{provider.issuer}/jwks",
                            "response_types_supported": ["code"],
                            "id_token_signing_alg_values_supported": ["RS256"],
                            "code_challenge_methods_supported": ["S256"],
                            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
                        }
                    )
                elif url.path == "/jwks":
                    self._json(provider.jwks())
                elif url.path == "/authorize":
                    query = dict(urllib.parse.parse_qsl(url.query))
                    assert query["client_id"] == CLIENT_ID and query["response_type"] == "code"
                    assert query["code_challenge_method"] == "S256" and "openid" in query["scope"].split()
                    code = f"code-{len(provider.codes) + 1}"
                    provider.codes[code] = query
                    back = f"{query['redirect_uri']}?{urllib.parse.urlencode({'code': code, 'state': query['state']})}"
                    self.send_response(302)
                    self.send_header("Location", back)
                    self.end_headers()
                else:
                    self._json({"error": "not_found"}, 404)

            def do_POST(self) -> None:
                form = dict(urllib.parse.parse_qsl(self.rfile.read(int(self.headers["Content-Length"])).decode()))
                provider.token_requests.append(form)
                basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
                asked = provider.codes.pop(form.get("code", ""), None)
                if self.headers.get("Authorization") != f"Basic {basic}":
                    return self._json({"error": "invalid_client"}, 401)
                verifier = form.get("code_verifier", "").encode()
                challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=").decode()
                if (
                    asked is None
                    or asked["code_challenge"] != challenge
                    or asked["redirect_uri"] != form["redirect_uri"]
                ):
                    return self._json({"error": "invalid_grant"}, 400)
                token = provider.id_token(asked["nonce"])
                return self._json({"access_token": "at", "token_type": "Bearer", "id_token": token})

        return Handler


@pytest.fixture
def provider(settings: Any) -> Iterator[Provider]:
    server = Provider()
    settings.OIDC_ISSUER = server.issuer
    settings.OIDC_CLIENT_ID = CLIENT_ID
    settings.OIDC_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_PROVIDER_NAME = "Acme ID"
    settings.OIDC_CREATE_USERS = False
    yield server
    server.stop()


def sign_in(client: Any, provider: Provider, next_url: str = "") -> Any:
    """Start at Harken, follow the real provider's redirect, come back to the callback; return its answer."""
    start = client.get("/login/sso/" + (f"?next={next_url}" if next_url else ""))
    assert start.status_code == 302 and start["Location"].startswith(f"{provider.issuer}/authorize?")

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(start["Location"])
        raise AssertionError("the provider should redirect")
    except urllib.error.HTTPError as redirect:
        back = urllib.parse.urlsplit(redirect.headers["Location"])
    assert back.path == "/login/sso/callback/"
    return client.get(back.path, dict(urllib.parse.parse_qsl(back.query)))


def test_it_signs_in_the_user_with_the_verified_email_and_audits_it(client, org, provider):
    org.users["manager"].email = "Ana@Acme.example"
    org.users["manager"].save()
    answer = sign_in(client, provider, next_url="/cases/")
    assert answer.status_code == 302 and answer["Location"] == "/cases/"
    assert client.get("/").wsgi_request.user == org.users["manager"]
    asked = provider.token_requests[0]
    assert asked["grant_type"] == "authorization_code" and asked["redirect_uri"].endswith("/login/sso/callback/")
    assert len(asked["code_verifier"]) >= 43 and "client_secret" not in asked  # secret sent as HTTP Basic
    event = AuditEvent.objects.get(action="sign_in")
    assert (event.actor, event.details) == (org.users["manager"], {"via": "sso"})


def test_the_login_page_offers_the_provider_only_when_configured(client, org, provider, settings):
    assert b"Sign in with Acme ID" in client.get("/login/").content
    settings.OIDC_ISSUER = settings.OIDC_CLIENT_ID = ""
    assert b"Sign in with" not in client.get("/login/").content
    assert client.get("/login/sso/").status_code == 404


def test_an_unknown_address_is_refused_unless_users_may_be_created(client, org, provider, settings):
    answer = sign_in(client, provider)
    assert answer.status_code == 403 and "No Harken user has the address ana@acme.example" in answer.content.decode()
    assert not User.objects.filter(email="ana@acme.example").exists()

    settings.OIDC_CREATE_USERS = True
    provider.person |= {"given_name": "Ana", "family_name": "Ruiz"}
    assert sign_in(client, provider).status_code == 302
    user = User.objects.get(email="ana@acme.example")
    assert (user.username, user.first_name, user.has_usable_password()) == ("ana@acme.example", "Ana", False)
    assert not Membership.objects.filter(user=user).exists()  # an administrator grants roles
    assert client.get("/").wsgi_request.user == user
    assert list(AuditEvent.objects.filter(action="user_created").values_list("object_id", flat=True)) == [str(user.pk)]


@pytest.mark.parametrize(
    ("tamper", "reason", "message"),
    [
        ({"sign_with_other_key": True}, "bad_signature", "signature does not match the provider"),
        ({"nonce": "not-the-one-we-sent"}, "wrong_nonce", "does not belong to this sign-in"),
        ({"aud": "another-app"}, "wrong_audience", "issued for another application"),
        ({"exp": int(time.time()) - 600, "iat": int(time.time()) - 900}, "expired", "sign-in has expired"),
        ({"iss": "http://evil.example"}, "wrong_issuer", "another issuer"),
        ({"email_verified": False}, "unverified_email", "has not verified the address"),
    ],
)
def test_a_bad_id_token_is_refused_with_a_clear_page(client, org, provider, tamper, reason, message):
    org.users["manager"].email = "ana@acme.example"
    org.users["manager"].save()
    provider.tamper = tamper
    answer = sign_in(client, provider)
    assert answer.status_code == 403 and message in answer.content.decode()
    assert b"Sign-in with Acme ID refused" in answer.content
    assert not client.get("/").wsgi_request.user.is_authenticated
    event = AuditEvent.objects.get(action="sign_in_failed")
    assert event.details == {"via": "sso", "reason": reason} and not AuditEvent.objects.filter(action="sign_in")


def test_a_callback_with_a_forged_state_or_replayed_is_refused(client, org, provider):
    org.users["manager"].email = "ana@acme.example"
    org.users["manager"].save()
    client.get("/login/sso/")
    forged = client.get("/login/sso/callback/", {"code": "code-1", "state": "forged"})
    assert forged.status_code == 403 and b"does not match this sign-in" in forged.content
    replay = client.get("/login/sso/callback/", {"code": "code-1", "state": "forged"})
    assert replay.status_code == 403 and b"already been used" in replay.content
    denied = client.get("/login/sso/callback/", {"error": "access_denied", "error_description": "User cancelled"})
    assert b"did not sign you in: User cancelled" in denied.content


def test_the_whole_flow_in_chromium(page, org, provider, settings, live_server):
    settings.BASE_URL = live_server.url
    org.users["analyst"].email = "ana@acme.example"
    org.users["analyst"].save()
    page.goto("/login/")
    screenshot(page, "sso-login-desktop")
    page.set_viewport_size({"width": 360, "height": 740})
    screenshot(page, "sso-login-360")
    page.get_by_role("link", name="Sign in with Acme ID").click()
    page.wait_for_url(lambda url: "/login" not in url)
    assert page.get_by_role("link", name="Log out").count() + page.get_by_role("button", name="Log out").count() >= 1
    provider.tamper = {"aud": "another-app"}
    page.context.clear_cookies()
    page.goto("/login/")
    page.get_by_role("link", name="Sign in with Acme ID").click()
    page.get_by_text("issued for another application").wait_for()
    screenshot(page, "sso-refused-360")


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"HARKEN_OIDC_ISSUER": "https://id.example.com"}, "set both for single sign-on, or neither"),
        ({"HARKEN_OIDC_ISSUER": "id.example.com", "HARKEN_OIDC_CLIENT_ID": "h"}, "expected an absolute http(s) URL"),
        ({"HARKEN_OIDC_CREATE_USERS": "perhaps"}, "HARKEN_OIDC_CREATE_USERS: expected true or false"),
    ],
)
def test_a_half_configured_provider_stops_start_up_naming_the_variable(variables, message, tmp_path):
    from tests.test_settings import run_harken

    result = run_harken("check", extra_env=variables, data_dir=tmp_path)
    assert result.returncode != 0 and message in result.stderr
