"""Template helpers of the survey editor."""

from typing import Any

from django import template

from harken.surveys.views import may_edit_surveys as _may_edit_surveys

register = template.Library()


@register.filter
def may_edit_surveys(user: Any) -> bool:
    """Whether this user may edit surveys (administrators and managers); base.html shows the link to them."""
    return _may_edit_surveys(user)
