"""HMAC-SHA256 signatures with a timestamp against replay (pure functions).

The signed string is ``f"{timestamp}.{body}"``; the header is ``X-Harken-Signature: sha256=<hex>`` and the
timestamp (Unix seconds) is sent as ``X-Harken-Timestamp``.  A receiver recomputes the signature with the
endpoint's secret and refuses timestamps older than a few minutes.
"""

from __future__ import annotations

import hashlib
import hmac

TOLERANCE_SECONDS = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """``sha256=`` followed by the hex HMAC-SHA256 of ``timestamp.body`` under ``secret``."""
    message = str(timestamp).encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(
    secret: str, timestamp: str, body: bytes, signature: str, now: float, tolerance: int = TOLERANCE_SECONDS
) -> bool:
    """True when ``signature`` is right for this body and timestamp, and the timestamp is recent."""
    try:
        moment = int(timestamp)
    except ValueError:
        return False
    if abs(now - moment) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, moment, body), signature)
