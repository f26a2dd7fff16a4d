"""``harken createadmin``: create a superuser with an administrator membership on the top unit."""

from __future__ import annotations

import getpass
import os
import sys
from argparse import ArgumentParser
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.db import transaction

from harken.management.base import HarkenCommand
from harken.org.models import Membership, Unit


class Command(HarkenCommand):
    help = (
        "Create an administrator who can log in, see every unit and manage Harken. Asks for the password "
        "unless --no-input is given, in which case it is read from HARKEN_ADMIN_PASSWORD."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--username", default="admin", help="Login name (default: admin).")
        parser.add_argument("--email", default="", help="Email address for notifications.")
        parser.add_argument(
            "--no-input", action="store_true", help="Do not prompt; take the password from HARKEN_ADMIN_PASSWORD."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        username: str = options["username"].strip()
        if not username:
            raise CommandError("--username must not be empty.")
        user_model = get_user_model()
        if user_model.objects.filter(username=username).exists():
            raise CommandError(f"A user named {username!r} already exists; choose another --username.")
        password = self._password(options["no_input"])
        try:
            validate_password(password, user_model(username=username, email=options["email"]))
        except ValidationError as exc:
            raise CommandError("Password rejected: " + " ".join(exc.messages)) from None
        with transaction.atomic():
            user = user_model.objects.create_superuser(username=username, email=options["email"], password=password)
            for unit in Unit.objects.filter(parent__isnull=True):
                Membership.objects.create(user=user, unit=unit, role=Membership.Role.ADMIN)
        self.stdout.write(self.style.SUCCESS(f"Administrator {username!r} created. Log in at /login/."))

    def _password(self, no_input: bool) -> str:
        if no_input or not sys.stdin.isatty():
            password = os.environ.get("HARKEN_ADMIN_PASSWORD", "")
            if not password:
                raise CommandError("Set HARKEN_ADMIN_PASSWORD, or run in a terminal to be asked for the password.")
            return password
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("The two passwords differ.")
        return first
