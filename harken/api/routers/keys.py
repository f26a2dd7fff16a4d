"""Your own API keys: list, create (the secret is shown once), revoke."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Status

from harken.api.auth import READ, user_of
from harken.api.errors import ApiError, field_error, not_found
from harken.api.keys import ApiKeyError, do_create_key, do_revoke_key
from harken.api.models import ApiKey, Scope
from harken.api.pagination import PageParams, paginate
from harken.api.schemas import ApiKeyIn, ApiKeyOut, ApiKeyPage, NewApiKeyOut

router = Router(tags=["API keys"])


def check_key_scope(request: HttpRequest, scope: Scope) -> None:
    """A key may only make keys no stronger than itself."""
    auth = getattr(request, "auth", None)
    if isinstance(auth, ApiKey) and not auth.allows(scope):
        raise field_error("scope", f"An API key with the '{auth.scope}' scope cannot make a '{scope}' key.", status=403)


@router.get("/keys", response=ApiKeyPage, summary="Your API keys (never their secrets)")
def list_keys(request: HttpRequest, page: Query[PageParams]) -> dict[str, object]:
    items, cursor = paginate(ApiKey.objects.filter(user_id=user_of(request).pk), page)
    return {"items": items, "next_cursor": cursor}


@router.post("/keys", response={201: NewApiKeyOut}, auth=READ, summary="Make an API key for yourself")
def create_key(request: HttpRequest, payload: ApiKeyIn) -> Status[dict[str, object]]:
    check_key_scope(request, payload.scope)
    try:
        key, token = do_create_key(user_of(request), payload.name, payload.scope)
    except ApiKeyError as exc:
        raise ApiError(422, str(exc)) from None
    return Status(201, {**ApiKeyOut.from_orm(key).dict(), "token": token})


@router.delete("/keys/{key_id}", response=ApiKeyOut, auth=READ, summary="Revoke one of your API keys")
def revoke_key(request: HttpRequest, key_id: int) -> ApiKey:
    key = ApiKey.objects.filter(user_id=user_of(request).pk, pk=key_id).first()
    if key is None:
        raise not_found("API key")
    return do_revoke_key(key)
