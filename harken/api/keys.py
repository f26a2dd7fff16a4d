"""Making, finding and revoking API keys: ``check_*`` functions validate, ``do_*`` functions write."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from harken.api.models import ApiKey, Scope
from harken.org import audit

TOKEN_START = "hk_"  # noqa: S105  (the public start of every token, not a secret)
# Writing last_used_at on every request would make every read a write; once a minute is enough to show.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiKeyError(ValueError):
    """A key request that cannot be honoured, with a message for the user."""


def hash_secret(secret: str) -> str:
    """SHA-256 of the whole token, hex-encoded."""
    return hashlib.sha256(secret.encode()).hexdigest()


def check_new_key(user: AbstractBaseUser, name: str, scope: str) -> None:
    """A key needs an active user, a name and a known scope."""
    if not user.is_active:
        raise ApiKeyError("This user is deactivated and cannot have API keys.")
    if not name.strip():
        raise ApiKeyError("Give the key a name, e.g. the system that will use it.")
    if scope not in Scope.values:
        raise ApiKeyError(f"Unknown scope {scope!r}; choose from {', '.join(Scope.values)}.")


@transaction.atomic
def do_create_key(user: AbstractBaseUser, name: str, scope: str) -> tuple[ApiKey, str]:
    """Create a key and return it with its secret token, which is never stored and cannot be shown again."""
    check_new_key(user, name, scope)
    prefix = secrets.token_hex(4)
    token = f"{TOKEN_START}{prefix}_{secrets.token_urlsafe(24)}"
    key = ApiKey.objects.create(
        user_id=user.pk, name=name.strip(), scope=scope, prefix=prefix, hashed_secret=hash_secret(token)
    )
    audit.record(user, "api_key_created", key, prefix=prefix, scope=scope)
    return key, token


def find_key(token: str) -> ApiKey | None:
    """The active key this token belongs to, or None; marks the key as used."""
    if not token.startswith(TOKEN_START) or token.count("_") < 2:
        return None
    prefix = token[len(TOKEN_START) :].split("_", 1)[0]
    key = ApiKey.objects.select_related("user").filter(prefix=prefix, revoked_at__isnull=True).first()
    if key is None or not hmac.compare_digest(key.hashed_secret, hash_secret(token)) or not key.user.is_active:
        return None
    _touch(key)
    return key


def _touch(key: ApiKey) -> None:
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now


def do_revoke_key(key: ApiKey) -> ApiKey:
    """Revoke a key for good; revoking twice keeps the first time."""
    if ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now()):
        audit.record(key.user, "api_key_revoked", key, prefix=key.prefix)
    key.refresh_from_db()
    return key
