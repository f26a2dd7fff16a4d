"""Harken's REST API under /api/v1/: personal API keys with scopes, and one router per resource.

The NinjaAPI root lives in ``harken.api.root``; ``harken.api.api`` is loaded lazily so that this package
can also be a Django app (it holds the ``ApiKey`` model) without importing models before apps are ready.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ninja import NinjaAPI

    api: NinjaAPI


def __getattr__(name: str) -> object:
    if name == "api":
        from harken.api.root import api

        return api
    raise AttributeError(f"module 'harken.api' has no attribute {name!r}")
