"""What each kind of endpoint receives: Harken's signed JSON envelope, or a Slack / Microsoft Teams message."""

from __future__ import annotations

import datetime as dt
from typing import Any


def envelope(event: str, event_id: str, created_at: dt.datetime, data: dict[str, Any]) -> dict[str, Any]:
    """The generic JSON body: ``{"id", "event", "created_at", "data"}``."""
    return {"id": event_id, "event": event, "created_at": created_at.isoformat(), "data": data}


def summary(event: str, data: dict[str, Any]) -> str:
    """One line for people: what happened, the score, the unit, and a link."""
    score = data.get("score")
    parts = [data.get("title") or event.replace(".", " ").capitalize()]
    if score is not None:
        parts.append(f"score {score}/10")
    if data.get("unit"):
        parts.append(str(data["unit"]))
    line = " · ".join(str(part) for part in parts)
    if data.get("comment"):
        line += f"\n> {data['comment']}"
    return line


def slack(event: str, data: dict[str, Any]) -> dict[str, Any]:
    """A Slack incoming-webhook message (``text`` with mrkdwn and a link)."""
    text = summary(event, data)
    if data.get("url"):
        text += f"\n<{data['url']}|Open in Harken>"
    return {"text": text}


def teams(event: str, data: dict[str, Any]) -> dict[str, Any]:
    """A Microsoft Teams incoming-webhook message carrying an Adaptive Card."""
    body: list[dict[str, Any]] = [{"type": "TextBlock", "text": summary(event, data), "wrap": True}]
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    if data.get("url"):
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open in Harken", "url": data["url"]}]
    return {
        "type": "message",
        "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": card}],
    }


def body_for(kind: str, event: str, event_id: str, created_at: dt.datetime, data: dict[str, Any]) -> dict[str, Any]:
    """The JSON body an endpoint of ``kind`` receives."""
    if kind == "slack":
        return slack(event, data)
    if kind == "teams":
        return teams(event, data)
    return envelope(event, event_id, created_at, data)
