"""Hearth's webhook signatures, incoming (`/hooks/<key>`) and outgoing (alerts, handoffs).

`X-Hearth-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>." + the exact body>`. The
timestamp is inside what is signed, so an old delivery cannot be replayed with a fresh one; the
receiver refuses a timestamp outside its tolerance window and keeps each `X-Hearth-Delivery` id
(for at least that window) to take a replay inside it once.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-Hearth-Signature"
DELIVERY_HEADER = "X-Hearth-Delivery"


def sign(secret: str, body: bytes, *, timestamp: int | None = None) -> str:
    """The header value signing `body` at `timestamp` (now when not given)."""
    t = int(time.time()) if timestamp is None else int(timestamp)
    digest = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def verify(
    secret: str, header: str, body: bytes, *, tolerance_s: int, now: float | None = None
) -> str:
    """ "" when `header` signs `body` within the window, else why not (a sentence for the sender)."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    t, given = parts.get("t", ""), parts.get("v1", "")
    if not t.isdigit() or not given:
        return (
            f"{SIGNATURE_HEADER} must read t=<unix seconds>,v1=<hex HMAC-SHA256 of '<t>.' + the body>; "
            "see docs/import-format.md."
        )
    expected = sign(secret, body, timestamp=int(t)).split("v1=", 1)[1]
    if not hmac.compare_digest(given, expected):
        return (
            f"The {SIGNATURE_HEADER} header does not match the body: check the secret and sign "
            "'<t>.' followed by the exact bytes sent."
        )
    skew = abs((time.time() if now is None else now) - int(t))
    if skew > tolerance_s:
        return (
            f"The signature's timestamp is {int(skew)} s away from this server's clock (at most "
            f"{tolerance_s} s are accepted): sign each delivery when sending it, with a synchronised clock."
        )
    return ""
