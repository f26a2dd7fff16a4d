"""Which responses an export or an API list includes: the dashboards' filters and the caller's scope."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from harken.analytics.queries import Filters, responses
from harken.collect.models import Response


def matching_responses(filters: Filters, user: AbstractBaseUser | AnonymousUser | None = None) -> QuerySet[Response]:
    """Every response (scored or not) matching ``filters``, limited to what ``user`` sees (all when None).

    Unlike counting, an export or a list must include responses whose score was skipped.
    """
    return responses(filters, user, scored_only=False)
