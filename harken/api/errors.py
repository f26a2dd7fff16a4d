"""JSON errors that name the field at fault: ``{"detail": "...", "errors": [{"field", "location", "message"}]}``."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from harken.analytics.queries import QueryError


class ApiError(Exception):
    """An error with an HTTP status, a message, and optionally the field it concerns."""

    def __init__(self, status: int, message: str, field: str | None = None, location: str = "body") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field
        self.location = location


def not_found(what: str) -> ApiError:
    """404 for a row that does not exist or that the caller may not see (we do not tell which)."""
    return ApiError(404, f"No {what} with this id, or you may not see it.")


def field_error(field: str, message: str, location: str = "body", status: int = 422) -> ApiError:
    """422 naming one field."""
    return ApiError(status, message, field=field, location=location)


def body(detail: str, errors: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """The shape of every error body."""
    return {"detail": detail, "errors": errors or []}


def install(api: NinjaAPI) -> None:
    """Register the handlers that turn every expected failure into a JSON error."""

    @api.exception_handler(ApiError)
    def on_api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        errors = [{"field": exc.field, "location": exc.location, "message": exc.message}] if exc.field else []
        return api.create_response(request, body(exc.message, errors), status=exc.status)

    @api.exception_handler(NinjaValidationError)
    def on_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        errors = [_ninja_error(error) for error in exc.errors]
        names = ", ".join(sorted({error["field"] for error in errors if error["field"]})) or "the request"
        return api.create_response(request, body(f"Invalid value for {names}.", errors), status=422)

    @api.exception_handler(DjangoValidationError)
    def on_model_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        errors = [
            {"field": name, "location": "body", "message": " ".join(messages)}
            for name, messages in (exc.message_dict.items() if hasattr(exc, "error_dict") else [("", exc.messages)])
        ]
        return api.create_response(request, body("Invalid data.", errors), status=422)

    @api.exception_handler(QueryError)
    def on_query_error(request: HttpRequest, exc: QueryError) -> HttpResponse:
        return api.create_response(request, body(str(exc)), status=422)

    @api.exception_handler(AuthenticationError)
    def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        message = "Authentication required: send 'Authorization: Bearer <API key>' (or log in)."
        return api.create_response(request, body(message), status=401)

    @api.exception_handler(PermissionDenied)
    def on_forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return api.create_response(request, body(str(exc) or "Forbidden."), status=403)

    @api.exception_handler(Http404)
    def on_404(request: HttpRequest, exc: Exception) -> HttpResponse:
        return api.create_response(request, body(str(exc) or "Not found."), status=404)

    @api.exception_handler(ObjectDoesNotExist)
    def on_missing(request: HttpRequest, exc: Exception) -> HttpResponse:
        return api.create_response(request, body("Not found."), status=404)

    @api.exception_handler(OverflowError)
    def on_overflow(request: HttpRequest, exc: OverflowError) -> HttpResponse:
        return api.create_response(request, body("A number in the request is too large."), status=422)

    @api.exception_handler(HttpError)
    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return api.create_response(request, body(str(exc)), status=exc.status_code)


def _ninja_error(error: Any) -> dict[str, str]:
    """``{"loc": ["query", "limit"], "msg": …}`` → ``{"field": "limit", "location": "query", "message": …}``."""
    loc = [str(part) for part in error.get("loc", [])]
    location = loc[0] if loc else "body"
    parts = loc[1:]
    if location in ("body", "query") and len(parts) > 1:
        parts = parts[1:]  # ninja puts the parameter's name ("payload", "filters") before the field
    while len(parts) > 1 and parts[-1].isdigit():
        parts = parts[:-1]  # "channel.0": the first of a repeated parameter; the parameter is what people set
    return {"field": ".".join(parts), "location": location, "message": str(error.get("msg", "invalid"))}


def form_invalid(form: Any, renames: dict[str, str] | None = None) -> DjangoValidationError:
    """A page form's errors as a 422 naming the API's fields (``renames``: form field → API field), so the
    API validates exactly as the page does."""
    renames = renames or {}
    return DjangoValidationError(
        {renames.get(name, name) or "": errors for name, errors in form.errors.as_data().items()}
    )
