"""``harken apikey``: make, list and revoke personal API keys from the command line."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from harken.api.keys import ApiKeyError, do_create_key, do_revoke_key
from harken.api.models import ApiKey, Scope
from harken.management.base import HarkenCommand


class Command(HarkenCommand):
    help = (
        "Personal API keys. 'create --user U --name N [--scope read|write|admin]' prints the secret once; "
        "'list [--user U]' shows keys with their last use; 'revoke PREFIX' stops a key for good."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("action", choices=["create", "list", "revoke"])
        parser.add_argument("prefix", nargs="?", help="For revoke: the key's prefix, as shown by 'list'.")
        parser.add_argument("--user", metavar="USERNAME", help="The key's owner; the key sees what they see.")
        parser.add_argument("--name", metavar="TEXT", help="What the key is for, e.g. 'warehouse loader'.")
        parser.add_argument("--scope", default=Scope.READ, choices=Scope.values, help="Default: read.")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            self._create(options)
        elif action == "list":
            self._list(options["user"])
        else:
            self._revoke(options["prefix"])

    def _user(self, username: str | None) -> Any:
        if not username:
            raise CommandError("Name the key's owner with --user USERNAME.")
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"Unknown user {username!r}.")
        return user

    def _create(self, options: dict[str, Any]) -> None:
        user = self._user(options["user"])
        try:
            key, token = do_create_key(user, options["name"] or "", options["scope"])
        except ApiKeyError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"API key {key.prefix} ({key.scope}) for {user.get_username()}. Its secret, shown only once:")
        self.stdout.write(token)

    def _list(self, username: str | None) -> None:
        keys = ApiKey.objects.select_related("user")
        if username:
            keys = keys.filter(user=self._user(username))
        for key in keys:
            used = f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "never used"
            state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
            self.stdout.write(
                f"{key.prefix}  {key.scope:<5}  {key.user.get_username():<15}  {state:<18}  {used}  {key.name}"
            )
        if not keys.exists():
            self.stdout.write("(no API keys)")

    def _revoke(self, prefix: str | None) -> None:
        if not prefix:
            raise CommandError("Give the prefix of the key to revoke (see 'harken apikey list').")
        key = ApiKey.objects.filter(prefix=prefix).first()
        if key is None:
            raise CommandError(f"No API key with the prefix {prefix!r}.")
        do_revoke_key(key)
        self.stdout.write(f"Revoked API key {key.prefix} ({key.name}).")
