"""Whether the demo may be loaded here, and removing a previous demo (``harken demo --force``).

The demo only goes into an empty database or over an earlier demo: never next to real responses, which
it would drown.  Demo rows are found by what the loader made them hang on: the demo company's units
(responses, invitations, contacts, employees, memberships), the demo survey and touchpoint slugs, and
the demo users' e-mail domain.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import ProtectedError, Q

from harken.collect.models import Response
from harken.contacts.models import Contact
from harken.demo import cases as demo_cases
from harken.demo import catalog
from harken.distribution.models import Invitation
from harken.loop.models import Action, AlertRule
from harken.org.models import Employee, Unit
from harken.surveys.models import Survey, Touchpoint

SURVEY_SLUGS = (catalog.RELATIONSHIP_SLUG, *(fact.slug for fact in catalog.TOUCHPOINTS))
TOUCHPOINT_SLUGS = tuple(fact.slug for fact in catalog.TOUCHPOINTS)


class DemoError(Exception):
    """Why the demo cannot be loaded, in one sentence for the person who ran the command."""


def check_can_load(force: bool) -> None:
    """Raise ``DemoError`` unless the demo can go in; with ``force``, delete a previous demo first."""
    company = _demo_company()
    others = Response.objects.all()
    if company is not None:
        others = others.exclude(unit__path__startswith=company.path)
    count = others.count()
    if count:
        raise DemoError(f"This database has responses that are not demo data ({count:,}); the demo loads only "
                        "into an empty database (set HARKEN_DATA_DIR or DATABASE_URL) or over a previous demo.")
    if company is not None:
        if not force:
            raise DemoError("This database already has the demo company; run with --force to replace it.")
        try:
            delete_demo()
        except ProtectedError as exc:
            raise DemoError(f"Cannot remove the previous demo: other data refers to it ({exc.args[0]})") from None
    clash = _clashing_journey()
    if clash:
        raise DemoError(f"{clash} already exists here; the demo needs its own. Use an empty database.")


def delete_demo() -> None:
    """Delete the demo company and everything recorded on it, the demo surveys, touchpoints and users."""
    company = _demo_company()
    if company is not None:
        units = company.subtree()
        # only("pk"): the ORM loads each row before deleting it (to cascade); ids are all it needs.
        Response.objects.filter(unit__in=units).only("pk").delete()
        Invitation.objects.filter(unit__in=units).only("pk").delete()
        Contact.objects.filter(home_unit__in=units).only("pk").delete()
        Employee.objects.filter(unit__in=units).delete()
        for unit in units.order_by("-depth"):
            unit.delete()  # deepest first: a unit protects its children
    AlertRule.objects.filter(name__in=demo_cases.RULE_NAMES).delete()
    Action.objects.filter(name=demo_cases.ACTION_NAME).delete()
    Survey.objects.filter(slug__in=SURVEY_SLUGS, name__in=catalog.SURVEY_NAMES).delete()
    Touchpoint.objects.filter(slug__in=TOUCHPOINT_SLUGS).delete()
    get_user_model().objects.filter(email__endswith=f"@{catalog.USER_DOMAIN}").delete()


def _demo_company() -> Unit | None:
    return Unit.objects.filter(parent__isnull=True, name=catalog.COMPANY_NAME).first()


def _clashing_journey() -> str | None:
    """A survey or touchpoint of the same name or slug as a demo one, described for people."""
    names = {fact.name for fact in catalog.TOUCHPOINTS}
    touchpoint = Touchpoint.objects.filter(Q(slug__in=TOUCHPOINT_SLUGS) | Q(name__in=names)).first()
    if touchpoint is not None:
        return f"A touchpoint named {touchpoint.name!r}"
    survey = Survey.objects.filter(Q(slug__in=SURVEY_SLUGS) | Q(name__in=catalog.SURVEY_NAMES)).first()
    if survey is not None:
        return f"A survey named {survey.name!r}"
    return None
