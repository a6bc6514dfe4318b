#!/usr/bin/env python3
"""Check a Hearth contest draw from its published data, with nothing but Python 3.

Usage:
    python3 verify_draw.py https://community.example.org/c/<token>/draw.json
    python3 verify_draw.py draw.json            (a file saved from that address)

It checks that the revealed seed matches the commitment published when the contest opened,
that the entrant list matches the hash published when entries closed, and recomputes the
winners: each entrant's ticket is HMAC-SHA256(key = the seed's 64 hex characters as ASCII,
message = the entrant id as UTF-8); entrants are ranked by ticket (hex), then by id; the first
`winners_count` win. The list hash is SHA-256 of the sorted ids, each followed by a newline.
Exit status 0 when everything matches, 1 otherwise.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sys
import urllib.request


def load(source: str) -> dict:
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source, timeout=30) as response:  # noqa: S310 - user's URL
            return json.load(response)
    with open(source, encoding="utf-8") as handle:
        return json.load(handle)


def check(record: dict) -> tuple[bool, list[str]]:
    lines = []
    seed, ids = record.get("seed"), record.get("entrants")
    if not seed or ids is None:
        return False, ["The draw has not happened yet: the seed is not revealed."]
    commitment = hashlib.sha256(seed.encode("ascii")).hexdigest()
    ok_commitment = commitment == record["seed_commitment"]
    lines.append(f"seed commitment  {'OK' if ok_commitment else 'MISMATCH'}  {commitment}")
    listing = "".join(f"{e}\n" for e in sorted(ids)).encode("utf-8")
    digest = hashlib.sha256(listing).hexdigest()
    ok_list = digest == record["entrants_hash"]
    lines.append(f"entrant list     {'OK' if ok_list else 'MISMATCH'}  {digest} ({len(ids)} ids)")

    def ticket(entrant: str) -> str:
        return hmac.new(seed.encode("ascii"), entrant.encode("utf-8"), hashlib.sha256).hexdigest()

    ranked = sorted(set(ids), key=lambda e: (ticket(e), e))
    winners = ranked[: int(record["winners_count"])]
    ok_winners = winners == record.get("winners")
    lines.append(f"winners          {'OK' if ok_winners else 'MISMATCH'}  {', '.join(winners)}")
    return ok_commitment and ok_list and ok_winners, lines


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)  # noqa: T201
        return 2
    ok, lines = check(load(argv[1]))
    print("\n".join(lines))  # noqa: T201
    print("The draw checks out." if ok else "The draw does NOT check out.")  # noqa: T201
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
