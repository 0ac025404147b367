"""Keyed pseudonyms for research data: HMAC-SHA256 of an id under the site's secret.

The same id and secret always give the same pseudonym (so a resident can be followed across exports),
a different site's secret gives an unrelated one, and without the secret a pseudonym cannot be linked back
to the id: re-identification means recomputing pseudonyms of known ids with the secret.
"""

from __future__ import annotations

import hashlib
import hmac

MIN_SECRET_BYTES = 32
PSEUDONYM_HEX_DIGITS = 16
"""64 bits: collisions are negligible among the few thousand ids one site has."""


class Pseudonymiser:
    """Turns ids into pseudonyms under one secret; `kind` prefixes tell persons (p-) from sessions (s-)."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < MIN_SECRET_BYTES:
            raise ValueError(f"site secret: expected at least {MIN_SECRET_BYTES} bytes, got {len(secret)}")
        self._secret = secret

    def __call__(self, identifier: str, kind: str = "p") -> str:
        """The pseudonym of `identifier`, e.g. p-3fa2c1...; "" stays "" (no one)."""
        if not identifier:
            return ""
        digest = hmac.new(self._secret, f"{kind}:{identifier}".encode(), hashlib.sha256).hexdigest()
        return f"{kind}-{digest[:PSEUDONYM_HEX_DIGITS]}"

    def person(self, person_id: str) -> str:
        return self(person_id, "p")

    def session(self, session_id: str) -> str:
        """Session and check-in ids embed the person id, so they are pseudonymised too."""
        return self(session_id, "s")
