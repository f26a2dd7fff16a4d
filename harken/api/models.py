"""Personal API keys: each acts as its owner, limited by a scope, stored only as a hash."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Scope(models.TextChoices):
    """What a key may do; each scope includes the ones before it."""

    READ = "read", "Read"
    WRITE = "write", "Read and write"
    ADMIN = "admin", "Administer (units, touchpoints, surveys)"


SCOPE_LEVEL = {Scope.READ: 1, Scope.WRITE: 2, Scope.ADMIN: 3}


class ApiKey(models.Model):
    """A personal API key.

    The secret is shown once, when the key is made; only its SHA-256 hash is kept (the secret has 192
    random bits, so a slow password hash adds nothing).  ``prefix`` is the public part used to find the
    row and to tell keys apart in lists.  A key sees exactly what its owner sees (``harken.org.scoping``).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    hashed_secret = models.CharField(max_length=64, editable=False)
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.READ)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…, {self.scope})"

    @property
    def is_active(self) -> bool:
        """A key works until it is revoked."""
        return self.revoked_at is None

    def allows(self, scope: str) -> bool:
        """Whether this key's scope includes ``scope``."""
        return SCOPE_LEVEL[Scope(self.scope)] >= SCOPE_LEVEL[Scope(scope)]
