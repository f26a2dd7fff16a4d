"""The root of Harken's REST API; each app adds its own router."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import NinjaAPI, Schema
from ninja.security import django_auth

import harken

api = NinjaAPI(title="Harken API", version="1", urls_namespace="api", auth=django_auth)


class HealthOut(Schema):
    status: str
    version: str


@api.get("/health", auth=None, response=HealthOut, summary="Is Harken up?")
def health(request: HttpRequest) -> HealthOut:
    """Liveness check for load balancers; needs no login."""
    return HealthOut(status="ok", version=harken.__version__)
