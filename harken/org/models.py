"""Units of the organisation, the employees in them, and users' roles on them."""

from __future__ import annotations

from django.conf import settings
from django.db import models, transaction


class Unit(models.Model):
    """A node of the organisation tree: company → region → store → team.

    ``path`` is a materialised path of primary keys ("/1/4/17/"), so "this unit and everything under it"
    is one indexed prefix match instead of a recursive query.
    """

    class Kind(models.TextChoices):
        COMPANY = "company", "Company"
        REGION = "region", "Region"
        AREA = "area", "Area"
        BRANCH = "branch", "Branch"
        STORE = "store", "Store"
        TEAM = "team", "Team"
        DEPARTMENT = "department", "Department"

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.STORE)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    path = models.CharField(max_length=255, editable=False, db_index=True, default="")
    depth = models.PositiveSmallIntegerField(editable=False, default=0)
    code = models.CharField(max_length=50, blank=True, help_text="Your own identifier, e.g. a store number.")
    time_zone = models.CharField(max_length=64, blank=True, help_text="Empty means the installation's time zone.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="unit_unique_name_per_parent"),
        ]

    def __str__(self) -> str:
        return self.name

    @transaction.atomic
    def save(self, *args: object, **kwargs: object) -> None:
        """Save, keeping ``path`` and ``depth`` true to the parent (the primary key is part of the path)."""
        if self.parent_id and self.pk and self.parent_id == self.pk:
            raise ValueError("A unit cannot be its own parent.")
        old_path = self.path
        super().save(*args, **kwargs)  # type: ignore[arg-type]
        parent_path = self.parent.path if self.parent else "/"
        new_path = f"{parent_path}{self.pk}/"
        if new_path != old_path:
            if self.parent and self.parent.path.startswith(old_path or "\0"):
                raise ValueError("A unit cannot move under one of its own descendants.")
            self.path = new_path
            self.depth = new_path.count("/") - 2
            Unit.objects.filter(pk=self.pk).update(path=self.path, depth=self.depth)
            if old_path:
                self._move_descendants(old_path, new_path)

    def _move_descendants(self, old_path: str, new_path: str) -> None:
        for unit in Unit.objects.filter(path__startswith=old_path).exclude(pk=self.pk):
            unit.path = new_path + unit.path[len(old_path) :]
            unit.depth = unit.path.count("/") - 2
            Unit.objects.filter(pk=unit.pk).update(path=unit.path, depth=unit.depth)

    def subtree(self) -> models.QuerySet[Unit]:
        """This unit and every unit below it."""
        return Unit.objects.filter(path__startswith=self.path)

    def ancestors(self) -> models.QuerySet[Unit]:
        """The units above this one, from the root down."""
        ids = [int(part) for part in self.path.strip("/").split("/")[:-1] if part]
        return Unit.objects.filter(pk__in=ids).order_by("depth")

    def ancestor_ids(self) -> list[int]:
        """Primary keys on the path from the root to this unit, this unit included."""
        return [int(part) for part in self.path.strip("/").split("/") if part]


class Employee(models.Model):
    """A person a response can be about (the advisor, the driver, the store clerk)."""

    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="employees")
    external_id = models.CharField(max_length=100, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="employee"
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"], condition=~models.Q(external_id=""), name="employee_unique_external_id"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user's role on a unit; the role applies to the unit's whole subtree."""

    class Role(models.TextChoices):
        FRONTLINE = "frontline", "Front line (sees their unit)"
        MANAGER = "manager", "Manager (acts on their subtree)"
        ANALYST = "analyst", "Analyst (reads everything)"
        ADMIN = "admin", "Administrator"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.FRONTLINE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "unit"], name="membership_unique_user_unit")]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} of {self.unit}"


class AuditEvent(models.Model):
    """Who did what, when, to which object: sign-ins, exports, erasures, permission and API key changes.

    Rows are only ever added (by ``harken.org.audit.record``); ``details`` never holds personal data of customers.
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True, help_text="The username, kept if the user is deleted.")
    action = models.CharField(max_length=50, db_index=True)
    object_type = models.CharField(max_length=50, blank=True)
    object_id = models.CharField(max_length=50, blank=True)
    details = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return (
            f"{self.at:%Y-%m-%d %H:%M} {self.actor_name or 'system'}: {self.action} {self.object_type} {self.object_id}"
        )
