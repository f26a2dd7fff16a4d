"""WSGI entry point used by ``harken serve`` (Granian) and any other WSGI server.

The widget's public endpoints (``/w/<key>/config``, ``/event``, ``/answer``) are the hot path of collecting
answers, and they need none of the session, login, CSRF (they check ``Origin`` themselves), message or
static-file middleware.  They are served by a second Django handler with only the middleware that still
applies to them, which cuts a third of the CPU of an answer (``bench/answer_throughput.py``).  Every other
address goes through the full stack of ``settings.MIDDLEWARE``.
"""

from __future__ import annotations

import codecs
import functools
import os
from collections.abc import Callable, Iterable
from typing import Any

import django
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler, WSGIRequest
from django.http import HttpRequest, HttpResponseBase
from django.utils.http import parse_header_parameters
from django.utils.module_loading import import_string

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "harken.settings")

# Order as in settings.MIDDLEWARE.  The host check (CommonMiddleware's job on the full stack) is kept:
# a request for a host that is not in ALLOWED_HOSTS gets 400 here too.
LEAN_PATH_PREFIX = "/w/"
LEAN_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "harken.wsgi.validate_host",
    "harken.lib.middleware.content_security_policy",
]


def validate_host(get_response: Callable[[HttpRequest], HttpResponseBase]) -> Callable[[HttpRequest], HttpResponseBase]:
    """Refuse hosts outside ``ALLOWED_HOSTS`` (``get_host`` raises ``DisallowedHost``, answered with 400)."""

    def middleware(request: HttpRequest) -> HttpResponseBase:
        request.get_host()
        return get_response(request)

    return middleware


@functools.lru_cache(maxsize=64)
def _content_type(raw: str) -> tuple[str, dict[str, str]]:
    return parse_header_parameters(raw)


class LeanRequest(WSGIRequest):
    """A request whose ``Content-Type`` parsing is remembered: Django parses it with the ``email`` package, which
    cost 8 % of an answer, and a widget sends the same one or two values every time."""

    def _set_content_type_params(self, meta: dict[str, Any]) -> None:
        content_type, params = _content_type(meta.get("CONTENT_TYPE", ""))
        self.content_type, self.content_params = content_type, dict(params)
        if "charset" in params:
            try:
                codecs.lookup(params["charset"])
            except LookupError:
                pass
            else:
                self.encoding = params["charset"]


class LeanHandler(WSGIHandler):
    """A Django WSGI handler whose middleware is ``LEAN_MIDDLEWARE`` instead of ``settings.MIDDLEWARE``."""

    request_class = LeanRequest

    def load_middleware(self, is_async: bool = False) -> None:
        """Build the middleware chain from ``LEAN_MIDDLEWARE`` (all synchronous, none with ``process_view``)."""
        self._view_middleware: list[Any] = []
        self._template_response_middleware: list[Any] = []
        self._exception_middleware: list[Any] = []
        handler = convert_exception_to_response(self._get_response)  # type: ignore[attr-defined]
        for path in reversed(LEAN_MIDDLEWARE):
            handler = convert_exception_to_response(import_string(path)(handler))
        self._middleware_chain = handler


class Application:
    """Routes the widget's endpoints to the lean handler and everything else to the full one."""

    def __init__(self) -> None:
        django.setup(set_prefix=False)
        self.full = WSGIHandler()
        self.lean = LeanHandler()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        handler = self.lean if path.startswith(LEAN_PATH_PREFIX) else self.full
        return handler(environ, start_response)


application = Application()
