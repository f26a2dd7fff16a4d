"""``harken erase contact --email E | --id N`` and ``harken erase older-than MONTHS``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from harken.contacts import erasure
from harken.contacts.models import Contact
from harken.management.base import HarkenCommand
from harken.org import audit


class Command(HarkenCommand):
    help = (
        "Erase personal data: 'contact' removes one contact's data and comments (GDPR), keeping scores; "
        "'older-than MONTHS' anonymises responses submitted more than MONTHS months ago."
    )

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        for sub in self._subparsers:
            # One-line errors in the subcommands too.
            sub.error = parser.error  # type: ignore[method-assign]
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        what = parser.add_subparsers(dest="what", required=True)
        contact = what.add_parser("contact", help="Erase one contact.")
        which = contact.add_mutually_exclusive_group(required=True)
        which.add_argument("--email", help="The contact's e-mail address (any case).")
        which.add_argument("--id", type=int, help="The contact's id.")
        older = what.add_parser("older-than", help="Anonymise responses older than MONTHS months.")
        older.add_argument("months", type=int)
        self._subparsers = [contact, older]

    def handle(self, *args: Any, **options: Any) -> None:
        if options["what"] == "older-than":
            if options["months"] < 1:
                raise CommandError("MONTHS must be at least 1")
            done = erasure.do_erase_older_than(options["months"])
            audit.record(None, "erase_older_than", months=options["months"], responses=done.responses, via="cli")
            self.stdout.write(f"Anonymised {done.responses} response(s) older than {options['months']} months.")
            return
        contacts = Contact.objects.all()
        found = (
            contacts.filter(email__iexact=options["email"]) if options["email"] else contacts.filter(pk=options["id"])
        )
        contact = found.first()
        if contact is None:
            raise CommandError("no such contact")
        done = erasure.do_erase_contact(contact)
        audit.record(None, "erase_contact", contact, responses=done.responses, via="cli")
        self.stdout.write(f"Erased contact {contact.pk}: {done.responses} response(s) anonymised, scores kept.")
