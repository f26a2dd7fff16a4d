"""``{% sso_provider_name as name %}``: the provider's name when single sign-on is on, else empty."""

from django import template

from harken.org import sso

register = template.Library()


@register.simple_tag
def sso_provider_name() -> str:
    """The label of the "Sign in with …" button, or "" when single sign-on is off."""
    config = sso.provider()
    return config.name if config else ""
