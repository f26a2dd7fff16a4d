"""Single sign-on through OpenID Connect: the authorization code flow with PKCE, state and nonce.

Off unless ``HARKEN_OIDC_ISSUER`` and ``HARKEN_OIDC_CLIENT_ID`` are set.  The provider's discovery document
gives its endpoints; the ID token's RS256 signature is checked against the provider's JWKS, and its issuer,
audience, expiry and nonce against what this sign-in expects.  The person is matched to a Harken user by their
verified e-mail address (optionally created on first sign-in, without any role: an administrator grants
memberships).  Discovery and keys are fetched on every sign-in rather than cached, so a provider's key
rotation never locks anyone out and no process holds state another one needs.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

import jwt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

TIMEOUT_SECONDS = 10
LEEWAY_SECONDS = 30  # clock difference tolerated between Harken and the provider
ALGORITHMS = ["RS256"]


class SsoError(Exception):
    """A sign-in that must be refused: ``message`` is for the person, ``reason`` a short code for the audit log."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class Provider:
    """The configured identity provider (from the ``HARKEN_OIDC_*`` settings)."""

    issuer: str
    client_id: str
    client_secret: str
    name: str
    create_users: bool
    scopes: str = "openid email profile"


@dataclass(frozen=True)
class Endpoints:
    """What the provider's discovery document says about itself."""

    issuer: str
    authorization: str
    token: str
    jwks_uri: str
    token_auth_methods: tuple[str, ...]


@dataclass(frozen=True)
class Attempt:
    """The secrets of one sign-in, kept in the session between leaving for the provider and coming back."""

    state: str
    nonce: str
    verifier: str
    next: str = ""

    @classmethod
    def new(cls, next_url: str = "") -> Attempt:
        """Fresh random state, nonce and PKCE code verifier (43+ characters, RFC 7636)."""
        return cls(secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(48), next_url)


def provider() -> Provider | None:
    """The configured provider, or None when single sign-on is off."""
    if not (settings.OIDC_ISSUER and settings.OIDC_CLIENT_ID):
        return None
    return Provider(
        issuer=settings.OIDC_ISSUER,
        client_id=settings.OIDC_CLIENT_ID,
        client_secret=settings.OIDC_CLIENT_SECRET,
        name=settings.OIDC_PROVIDER_NAME,
        create_users=settings.OIDC_CREATE_USERS,
    )


def code_challenge(verifier: str) -> str:
    """PKCE S256: base64url(SHA-256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorization_url(endpoints: Endpoints, config: Provider, redirect_uri: str, attempt: Attempt) -> str:
    """Where to send the browser to sign in."""
    query = {
        "response_type": "code",
        "client_id": config.client_id,
        "redirect_uri": redirect_uri,
        "scope": config.scopes,
        "state": attempt.state,
        "nonce": attempt.nonce,
        "code_challenge": code_challenge(attempt.verifier),
        "code_challenge_method": "S256",
    }
    separator = "&" if "?" in endpoints.authorization else "?"
    return endpoints.authorization + separator + urllib.parse.urlencode(query)


# --- Talking to the provider ------------------------------------------------------------------------------------


def _fetch_json(request: urllib.request.Request | str, what: str) -> dict[str, Any]:
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310 (configured https URL)
            body = json.loads(answer.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace")[:200]
        message = f"The sign-in provider refused the {what} request ({exc.code}): {detail}"
        raise SsoError("provider_error", message) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        message = f"The sign-in provider could not be reached for its {what}: {exc}"
        raise SsoError("provider_unreachable", message) from None
    except ValueError:
        raise SsoError("provider_error", f"The sign-in provider's {what} is not JSON.") from None
    if not isinstance(body, dict):
        raise SsoError("provider_error", f"The sign-in provider's {what} is not a JSON object.")
    return body


def discover(config: Provider) -> Endpoints:
    """Read ``{issuer}/.well-known/openid-configuration``; its issuer must be exactly the configured one."""
    document = _fetch_json(config.issuer.rstrip("/") + "/.well-known/openid-configuration", "discovery document")
    missing = [key for key in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri") if key not in document]
    if missing:
        raise SsoError("provider_error", f"The provider's discovery document lacks {', '.join(missing)}.")
    if document["issuer"] != config.issuer:
        raise SsoError(
            "wrong_issuer", f"The provider calls itself {document['issuer']!r}, not the configured {config.issuer!r}."
        )
    return Endpoints(
        issuer=document["issuer"],
        authorization=document["authorization_endpoint"],
        token=document["token_endpoint"],
        jwks_uri=document["jwks_uri"],
        token_auth_methods=tuple(document.get("token_endpoint_auth_methods_supported", ["client_secret_basic"])),
    )


def exchange_code(endpoints: Endpoints, config: Provider, code: str, redirect_uri: str, verifier: str) -> str:
    """Trade the authorization code (and the PKCE verifier) for tokens; returns the ID token."""
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, "code_verifier": verifier}
    headers = {"Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded"}
    if config.client_secret and "client_secret_basic" in endpoints.token_auth_methods:
        pair = f"{urllib.parse.quote(config.client_id, safe='')}:{urllib.parse.quote(config.client_secret, safe='')}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
    else:
        form["client_id"] = config.client_id
        if config.client_secret:
            form["client_secret"] = config.client_secret
    request = urllib.request.Request(  # noqa: S310 (the provider's own https endpoint)
        endpoints.token, data=urllib.parse.urlencode(form).encode(), headers=headers, method="POST"
    )
    tokens = _fetch_json(request, "token")
    id_token = tokens.get("id_token")
    if not isinstance(id_token, str) or not id_token:
        raise SsoError("no_id_token", "The sign-in provider answered without an ID token.")
    return id_token


def fetch_keys(endpoints: Endpoints) -> dict[str, Any]:
    """The provider's signing keys (a JWK set)."""
    return _fetch_json(endpoints.jwks_uri, "signing keys")


# --- Checking the ID token (pure) -------------------------------------------------------------------------------


def verify_id_token(token: str, jwks: dict[str, Any], config: Provider, nonce: str) -> dict[str, Any]:
    """The ID token's claims once its RS256 signature, issuer, audience, expiry and nonce are right."""
    key = _signing_key(token, jwks)
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=ALGORITHMS,
            audience=config.client_id,
            issuer=config.issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": ["iss", "aud", "exp", "iat", "sub"]},
        )
    except jwt.ExpiredSignatureError:
        raise SsoError("expired", "The sign-in has expired: the provider's ID token is no longer valid.") from None
    except jwt.InvalidAudienceError:
        raise SsoError("wrong_audience", "The ID token was issued for another application, not this Harken.") from None
    except jwt.InvalidIssuerError:
        raise SsoError("wrong_issuer", "The ID token comes from another issuer than the configured one.") from None
    except jwt.InvalidSignatureError:
        raise SsoError("bad_signature", "The ID token's signature does not match the provider's keys.") from None
    except jwt.PyJWTError as exc:
        raise SsoError("invalid_token", f"The ID token is not valid: {exc}.") from None
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != config.client_id:
        raise SsoError("wrong_audience", "The ID token was issued for another application, not this Harken.")
    if not secrets.compare_digest(str(claims.get("nonce", "")), nonce):
        raise SsoError("wrong_nonce", "The ID token does not belong to this sign-in (its nonce differs).")
    return claims


def _signing_key(token: str, jwks: dict[str, Any]) -> Any:
    try:
        header = jwt.get_unverified_header(token)
        keys = jwt.PyJWKSet.from_dict(jwks)
    except jwt.PyJWTError as exc:
        raise SsoError("invalid_token", f"The ID token or the provider's keys cannot be read: {exc}.") from None
    if header.get("alg") not in ALGORITHMS:
        raise SsoError("invalid_token", f"The ID token is signed with {header.get('alg')!r}; Harken accepts RS256.")
    candidates = [key for key in keys.keys if header.get("kid") in (None, key.key_id)]
    if not candidates:
        raise SsoError("bad_signature", "The ID token is signed with a key the provider does not publish.")
    return candidates[0].key


def verified_email(claims: dict[str, Any]) -> str:
    """The person's e-mail address, which the provider must have verified."""
    email = str(claims.get("email") or "").strip()
    if not email:
        raise SsoError("no_email", "The provider did not share an e-mail address; allow the 'email' scope.")
    if claims.get("email_verified") not in (True, "true"):
        raise SsoError("unverified_email", f"The provider has not verified the address {email}.")
    return email


# --- The Harken user --------------------------------------------------------------------------------------------


def match_user(claims: dict[str, Any], config: Provider) -> tuple[AbstractBaseUser, bool]:
    """The active user with this verified e-mail address (created without any role if allowed); and if created."""
    email = verified_email(claims)
    users = get_user_model().objects.filter(email__iexact=email)
    active = [user for user in users if user.is_active]
    if len(active) > 1:
        raise SsoError("ambiguous_email", f"Several Harken users have the address {email}; ask an administrator.")
    if active:
        return active[0], False
    if users:
        raise SsoError("inactive_user", f"The Harken account of {email} is disabled.")
    if not config.create_users:
        raise SsoError("unknown_user", f"No Harken user has the address {email}; ask an administrator to add you.")
    return _create_user(email, claims), True


@transaction.atomic
def _create_user(email: str, claims: dict[str, Any]) -> AbstractBaseUser:
    """A user named by their address, with no password and no membership (so they see nothing yet)."""
    model = get_user_model()
    username, n = email[:150], 1
    while model.objects.filter(username__iexact=username).exists():
        n += 1
        username = f"{email[: 150 - len(str(n)) - 1]}-{n}"
    user = model(
        username=username,
        email=email,
        first_name=str(claims.get("given_name") or "")[:150],
        last_name=str(claims.get("family_name") or "")[:150],
    )
    user.set_unusable_password()
    user.save()
    return user
