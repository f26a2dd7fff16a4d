"""Template context shared by every page."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

import harken


def site(request: HttpRequest) -> dict[str, str]:
    """The installation's name and Harken's version, for the page chrome."""
    return {"site_name": settings.SITE_NAME, "harken_version": harken.__version__, "TIME_ZONE": settings.TIME_ZONE}
