"""The derivation disk cache (theory._cache): a pure speed-up that can never change a
result or fail a derivation."""

import importlib

import pytest
import sympy as sp

import theory
from theory import _cache


def _fresh_derive(name):
    # Bypass the in-memory lru_cache so the disk layer is exercised.
    return theory.derive_binary.__wrapped__(name)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LOGITREG_CACHE_DIR", str(tmp_path))
    return tmp_path


def _entries(root):
    return sorted(p for p in root.rglob("*.pkl"))


def test_second_call_reads_the_same_derivation(cache):
    first = _fresh_derive("label_smoothing")
    assert len(_entries(cache)) == 1
    second = _fresh_derive("label_smoothing")
    assert second is not first  # really came back from disk
    assert sp.simplify(second.alpha_of_target - first.alpha_of_target) == 0
    assert second.target_closed_form == first.target_closed_form
    assert second.regularizer == first.regularizer


def test_corrupted_entry_is_recomputed_and_replaced(cache):
    _fresh_derive("quadratic")
    (entry,) = _entries(cache)
    entry.write_bytes(b"not a pickle")
    again = _fresh_derive("quadratic")
    assert again.alpha_max == 1
    assert entry.read_bytes() != b"not a pickle"


def test_user_forms_are_keyed_by_definition(cache):
    a = _fresh_derive(theory.from_expression("t**4", name="mine"))
    b = _fresh_derive(theory.from_expression("t**2", name="mine"))
    assert a.f != b.f and len(_entries(cache)) == 2


def test_disabled_and_unwritable(tmp_path, monkeypatch):
    monkeypatch.setenv("LOGITREG_CACHE_DIR", "off")
    assert _cache.cache_dir() is None
    _fresh_derive("maxsup")
    blocker = tmp_path / "file"
    blocker.write_text("x")  # a file where the cache directory should be: cannot write
    monkeypatch.setenv("LOGITREG_CACHE_DIR", str(blocker / "sub"))
    assert _fresh_derive("maxsup").target_closed_form is not None


def test_numerics_names_resolve_lazily():
    numerics = importlib.import_module("numerics")
    assert set(numerics.__all__) <= set(dir(numerics))
    for name in numerics.__all__:
        assert getattr(numerics, name) is not None
    with pytest.raises(AttributeError, match="no_such_name"):
        numerics.no_such_name
