"""Keyed pseudonyms: stable under one secret, unrelated under another, never the id itself."""

from __future__ import annotations

import pytest

from robot.core.pseudonym import Pseudonymiser

SECRET = bytes(range(32))


def test_the_same_id_always_gets_the_same_pseudonym_and_others_differ() -> None:
    first, again = Pseudonymiser(SECRET), Pseudonymiser(SECRET)
    assert first.person("r-3f9a1c") == again.person("r-3f9a1c")
    assert first.person("r-3f9a1c") != first.person("r-3f9a1d")
    assert first.person("r-3f9a1c").startswith("p-") and len(first.person("r-3f9a1c")) == 18


def test_another_sites_secret_gives_an_unrelated_pseudonym() -> None:
    assert Pseudonymiser(SECRET).person("r-3f9a1c") != Pseudonymiser(bytes(32)).person("r-3f9a1c")


def test_the_pseudonym_does_not_contain_the_id_and_kinds_do_not_collide() -> None:
    pseudonymise = Pseudonymiser(SECRET)
    assert "3f9a1c" not in pseudonymise.person("r-3f9a1c")
    assert pseudonymise.session("r-3f9a1c")[2:] != pseudonymise.person("r-3f9a1c")[2:]
    assert pseudonymise.person("") == ""


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 32 bytes, got 16"):
        Pseudonymiser(bytes(16))
