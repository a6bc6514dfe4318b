"""The publicly verifiable draw: pure functions, no database, standard library only.

The algorithm (docs/animation.md, and docs/verify_draw.py re-runs it):

1. The seed is 32 random bytes written as 64 lowercase hex characters. Its commitment is
   SHA-256 of those 64 ASCII characters, published when the contest opens.
2. The entrant list is the entrants' public ids, sorted, each followed by "\\n", encoded as
   UTF-8; its hash is SHA-256 of those bytes, published when the list is frozen (before the draw).
3. Each entrant's ticket is HMAC-SHA256(key = the seed's 64 ASCII characters, message = the
   entrant id in UTF-8), in hex. Entrants are ranked by ticket, then by id (a tie is
   astronomically unlikely); the first `winners` of the ranking win, the next ones are the
   reserves, in order.

Anyone holding the published entrant list, the revealed seed and the number of winners can
recompute the ranking and check both hashes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass


def new_seed() -> str:
    return secrets.token_hex(32)


def commitment(seed: str) -> str:
    return hashlib.sha256(seed.encode("ascii")).hexdigest()


def canonical_list(entrant_ids: Iterable[str]) -> bytes:
    return "".join(f"{e}\n" for e in sorted(entrant_ids)).encode("utf-8")


def entrants_hash(entrant_ids: Iterable[str]) -> str:
    return hashlib.sha256(canonical_list(entrant_ids)).hexdigest()


def ticket(seed: str, entrant_id: str) -> str:
    return hmac.new(seed.encode("ascii"), entrant_id.encode("utf-8"), hashlib.sha256).hexdigest()


def ranking(seed: str, entrant_ids: Iterable[str]) -> list[str]:
    return sorted(set(entrant_ids), key=lambda e: (ticket(seed, e), e))


@dataclass(frozen=True)
class Verification:
    commitment_ok: bool
    entrants_hash_ok: bool
    winners_ok: bool
    winners: list[str]

    @property
    def ok(self) -> bool:
        return self.commitment_ok and self.entrants_hash_ok and self.winners_ok


def verify(
    *,
    seed: str,
    seed_commitment: str,
    entrant_ids: list[str],
    published_entrants_hash: str,
    winners_count: int,
    published_winners: list[str],
) -> Verification:
    """Re-run the draw from published data and compare with what was published."""
    winners = ranking(seed, entrant_ids)[:winners_count]
    return Verification(
        commitment_ok=hmac.compare_digest(commitment(seed), seed_commitment.lower()),
        entrants_hash_ok=hmac.compare_digest(
            entrants_hash(entrant_ids), published_entrants_hash.lower()
        ),
        winners_ok=winners == list(published_winners),
        winners=winners,
    )
