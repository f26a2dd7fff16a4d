"""The interactive API docs work in a real browser under Harken's strict Content-Security-Policy."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_the_interactive_docs_render_every_part_of_the_api_with_no_csp_violation(browser_login):
    page = browser_login("analyst")
    violations = []
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    page.goto("/api/v1/docs")
    page.get_by_text("Harken API", exact=False).first.wait_for()
    for tag in ("organisation", "responses and analytics", "NPS economics", "imports", "exports", "API keys"):
        page.locator(f"h3#operations-tag-{tag.replace(' ', '_')}").wait_for()
    assert violations == []
