"""Which responses an export or an API list includes: the dashboards' filters and the caller's scope.

Unlike ``harken.analytics.queries.responses``, which counts scores and so leaves out skipped ones, an
export or a list must include responses without a score as well.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from harken.analytics.queries import Filters, local_zone
from harken.collect.models import Response
from harken.org.scoping import scope_to_user


def matching_responses(filters: Filters, user: AbstractBaseUser | AnonymousUser | None = None) -> QuerySet[Response]:
    """Every response (scored or not) matching ``filters``, limited to what ``user`` sees (all when None)."""
    queryset = Response.objects.all()
    if user is not None:
        queryset = scope_to_user(queryset, user)
    zone = local_zone()
    if filters.start:
        queryset = queryset.filter(submitted_at__gte=dt.datetime.combine(filters.start, dt.time(), zone))
    if filters.end:
        next_day = filters.end + dt.timedelta(days=1)
        queryset = queryset.filter(submitted_at__lt=dt.datetime.combine(next_day, dt.time(), zone))
    if filters.unit is not None:
        queryset = queryset.filter(unit__path__startswith=filters.unit.path)
    if filters.touchpoints:
        queryset = queryset.filter(touchpoint_id__in=filters.touchpoints)
    if filters.surveys:
        queryset = queryset.filter(survey_id__in=filters.surveys)
    if filters.channels:
        queryset = queryset.filter(channel__in=filters.channels)
    if filters.languages:
        queryset = queryset.filter(language__in=filters.languages)
    for key, value in filters.attributes:
        queryset = queryset.filter(**{f"contact__attributes__{key}": value})
    return queryset
