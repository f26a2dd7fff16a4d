"""The pages of single sign-on: leaving for the provider, and coming back signed in (or refused clearly)."""

from __future__ import annotations

from dataclasses import asdict

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.models import AbstractBaseUser
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from harken.org import audit, sso

SESSION_KEY = "harken_sso"


def _redirect_uri() -> str:
    # The public address from BASE_URL, not the request's Host header: the provider only accepts the
    # redirect URI registered with it.
    return settings.BASE_URL + reverse("org:sso_callback")


def _configured() -> sso.Provider:
    config = sso.provider()
    if config is None:
        raise Http404("Single sign-on is not configured.")
    return config


@login_not_required
def sso_start(request: HttpRequest) -> HttpResponse:
    """Remember a fresh state, nonce and PKCE verifier in the session, then send the browser to the provider."""
    config = _configured()
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    try:
        endpoints = sso.discover(config)
    except sso.SsoError as exc:
        return _refuse(request, config, exc)
    attempt = sso.Attempt.new(next_url)
    request.session[SESSION_KEY] = asdict(attempt)
    return HttpResponseRedirect(sso.authorization_url(endpoints, config, _redirect_uri(), attempt))


@login_not_required
def sso_callback(request: HttpRequest) -> HttpResponse:
    """Check the state, trade the code for an ID token, check the token, then sign the matching user in."""
    config = _configured()
    try:
        user, created, next_url = _complete(request, config)
    except sso.SsoError as exc:
        return _refuse(request, config, exc)
    if created:
        audit.record(None, "user_created", user, via="sso", provider=config.issuer)
    request.sign_in_method = "sso"  # type: ignore[attr-defined]  # read by the audit log's sign-in receiver
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")  # type: ignore[arg-type]
    return HttpResponseRedirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))


def _complete(request: HttpRequest, config: sso.Provider) -> tuple[AbstractBaseUser, bool, str]:
    saved = request.session.pop(SESSION_KEY, None)
    if request.GET.get("error"):
        text = request.GET.get("error_description") or request.GET["error"]
        raise sso.SsoError("provider_refused", f"The sign-in provider did not sign you in: {text}")
    if not isinstance(saved, dict):
        raise sso.SsoError("no_attempt", "This sign-in was not started here or has already been used; start again.")
    attempt = sso.Attempt(**saved)
    if not request.GET.get("state") or request.GET["state"] != attempt.state:
        raise sso.SsoError("wrong_state", "The answer from the sign-in provider does not match this sign-in.")
    code = request.GET.get("code", "")
    if not code:
        raise sso.SsoError("no_code", "The sign-in provider came back without an authorization code.")
    endpoints = sso.discover(config)
    id_token = sso.exchange_code(endpoints, config, code, _redirect_uri(), attempt.verifier)
    claims = sso.verify_id_token(id_token, sso.fetch_keys(endpoints), config, attempt.nonce)
    user, created = sso.match_user(claims, config)
    return user, created, attempt.next


def _refuse(request: HttpRequest, config: sso.Provider, error: sso.SsoError) -> TemplateResponse:
    audit.record(None, "sign_in_failed", via="sso", reason=error.reason)
    context = {"message": error.message, "provider_name": config.name}
    return TemplateResponse(request, "registration/sso_error.html", context, status=403)
