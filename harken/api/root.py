"""The root of Harken's REST API (/api/v1/); each part of the API is a router."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import NinjaAPI, Schema

import harken
from harken.api import errors
from harken.api.auth import READ
from harken.api.routers import economics, exports, imports, keys, org, people, privacy, responses
from harken.api.routers import text as text_api
from harken.distribution import api as distribution_api
from harken.integrations.webhooks import api as webhooks_api
from harken.loop import api as loop_api

api = NinjaAPI(
    title="Harken API",
    version="1",
    description=(
        "Harken's REST API. Authenticate with a personal API key: `Authorization: Bearer hk_…` "
        "(make one with `harken apikey create` or POST /api/v1/keys while logged in). A key acts as its "
        "owner and sees only the units its owner sees; its scope — read, write or admin — limits what it "
        "may do. Lists are paginated with cursors: pass `next_cursor` back as `cursor`. Errors are "
        '`{"detail": "…", "errors": [{"field", "location", "message"}]}`.'
    ),
    urls_namespace="api",
    auth=READ,
)
errors.install(api)
api.add_router("", org.router)
api.add_router("", people.router)
api.add_router("", responses.router)
api.add_router("", economics.router)
api.add_router("", exports.router)
api.add_router("", imports.router)
api.add_router("", keys.router)
api.add_router("", privacy.router)
api.add_router("", distribution_api.router)
api.add_router("", loop_api.router)
api.add_router("", text_api.router)
api.add_router("", webhooks_api.router)


class HealthOut(Schema):
    status: str
    version: str


@api.get("/health", auth=None, response=HealthOut, summary="Is Harken up?", tags=["health"])
def health(request: HttpRequest) -> HealthOut:
    """Liveness check for load balancers; needs no login."""
    return HealthOut(status="ok", version=harken.__version__)
