"""The claim catalogue (core.claims.CATALOGUE): one entry per claim ID with statement,
paper reference and theory section; registration refuses an uncatalogued ID; every
check is found where ``verify --list`` says it lives."""

import importlib

import pytest

from core.claims import CATALOGUE, check_location, claim_info, register, registered
from core.errors import InvalidParameterError
from logitreg.collect import registry

SECTIONS = {"D": "§1", "B": "§2", "M": "§4", "R": "§5", "G": "§6", "A": "§7"}


def test_every_registered_claim_is_catalogued_and_every_catalogued_claim_is_checked():
    assert set(registry()) == set(CATALOGUE)


@pytest.mark.parametrize("cid", list(CATALOGUE))
def test_entries_are_complete(cid):
    info = CATALOGUE[cid]
    assert info.id == cid
    assert info.section == f"docs/theory.md {SECTIONS[cid[0]]}"
    assert len(info.statement) > 40 and info.statement.endswith(".")
    assert info.reference.strip()


def test_register_refuses_an_uncatalogued_id():
    with pytest.raises(InvalidParameterError, match="'Z9'"):
        @register("Z9", "not a claim")
        def check_z9(full=False):  # pragma: no cover - never registered
            raise AssertionError
    assert "Z9" not in registered()
    with pytest.raises(InvalidParameterError, match="'nope'"):
        claim_info("nope")


def test_every_check_lives_where_its_location_says():
    for cid, checks in registry().items():
        for _, fn in checks:
            module, _, qualname = check_location(fn).partition(":")
            obj = importlib.import_module(module)
            for part in qualname.split("."):
                obj = getattr(obj, part)
            assert obj is fn, (cid, module, qualname)
