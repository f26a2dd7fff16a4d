"""``{% if user|may_import %}``: the navigation shows the Import link to the people the page lets in."""

from typing import Any

from django import template

from harken.io.views import may_import as _may_import

register = template.Library()


@register.filter
def may_import(user: Any) -> bool:
    """Whether this user may import history (administrators)."""
    return _may_import(user)
