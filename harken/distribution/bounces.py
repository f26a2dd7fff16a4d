"""Reading bounce reports: RFC 3464 delivery-status notifications sent back to an invitation's VERP address.

Pure functions over the raw message (no database).  A report names the invitation through the signed bounce
address it was sent to (``tracking.invitation_of_bounce_address``) — in the ``To``/``Delivered-To``/
``X-Original-To`` headers, or in the returned headers of the original message — never through a header that
anyone could write.  Each recipient block of the ``message/delivery-status`` part says what happened:

- ``Action: failed`` with a ``5.x.x`` status is a **hard** bounce (the address does not work);
- ``Action: delayed``, or a ``4.x.x`` status, is a **soft** bounce (the server is still trying);
- ``delivered``, ``relayed`` and ``expanded`` are not bounces.
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass
from email.message import Message

from harken.distribution import tracking

ADDRESS_HEADERS = ("To", "Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "Original-Recipient")
STATUS = re.compile(r"^([245])\.\d{1,3}\.\d{1,3}$")


class BounceError(ValueError):
    """A message that is not a bounce report we can use; the text says why."""


@dataclass(frozen=True)
class BounceReport:
    """What a delivery-status notification says about one invitation."""

    invitation_id: int
    kind: str  # "hard", "soft" or "" (not a bounce: delivered, relayed …)
    status: str  # the RFC 3463 status code, e.g. 5.1.1
    recipient: str
    reason: str  # the Diagnostic-Code, else the action and status


def read_report(raw: bytes) -> BounceReport:
    """The bounce in a raw RFC 3464 message; raises ``BounceError`` naming what is missing."""
    if not raw.strip():
        raise BounceError("The body is empty: send the raw delivery-status message (message/rfc822).")
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    invitation_id = _invitation(message)
    if invitation_id is None:
        raise BounceError("No signed Harken bounce address (bounces+i<id>-<signature>@…) in the message.")
    blocks = _recipient_blocks(message)
    if not blocks:
        raise BounceError("No message/delivery-status part with a recipient block (RFC 3464).")
    # One invitation has one recipient; if a server reports several blocks, the worst one counts.
    reports = [_report(invitation_id, block) for block in blocks]
    return max(reports, key=lambda report: {"hard": 2, "soft": 1}.get(report.kind, 0))


def _invitation(message: Message) -> int | None:
    for header in ADDRESS_HEADERS:
        for value in message.get_all(header, []):
            found = tracking.invitation_of_bounce_address(str(value))
            if found is not None:
                return found
    for part in message.walk():  # the returned original: its Return-Path is the bounce address
        if part.get_content_type() in ("text/rfc822-headers", "message/rfc822"):
            found = tracking.invitation_of_bounce_address(_text(part))
            if found is not None:
                return found
    return None


def _text(part: Message) -> str:
    payload = part.get_payload() if part.is_multipart() else part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload.decode("utf-8", "replace")
    if isinstance(payload, list):
        return "\n".join(item.as_string() for item in payload if isinstance(item, Message))
    return str(payload)


def _recipient_blocks(message: Message) -> list[Message]:
    """The per-recipient field blocks of the delivery-status part (the first block is per message)."""
    for part in message.walk():
        if part.get_content_type() == "message/delivery-status":
            payload = part.get_payload()
            blocks = [block for block in payload if isinstance(block, Message)] if isinstance(payload, list) else []
            return [block for block in blocks[1:] if block.get("Action") or block.get("Status")]
    return []


def _report(invitation_id: int, block: Message) -> BounceReport:
    action = str(block.get("Action", "")).strip().lower()
    status = str(block.get("Status", "")).strip().split(" ")[0]
    recipient = str(block.get("Final-Recipient", "")).split(";")[-1].strip()
    diagnostic = " ".join(str(block.get("Diagnostic-Code", "")).split(";", 1)[-1].split())
    match = STATUS.match(status)
    klass = match.group(1) if match else ""
    if action == "failed" and klass != "4":
        kind = "hard"
    elif action == "delayed" or klass == "4":
        kind = "soft"
    else:
        kind = ""
    reason = diagnostic or f"{action or 'unknown action'} {status}".strip()
    return BounceReport(invitation_id, kind, status, recipient, reason[:300])
