"""Claim B2 (label smoothing is a logit regulariser), proved symbolically."""

from proofs_check.label_smoothing import (binary_identity, check_b2, multiclass_identities,
                                          registry_form, target_form)


def test_binary_identity_proved():
    proof = binary_identity()
    assert proof.proved, proof
    assert proof[2] < 1e-40  # 50-digit spot check of an O(1..1e9) identity


def test_registry_form_is_log_2_plus_2cosh_over_2_and_k2_form():
    for proof in registry_form():
        assert proof.proved and proof[2] < 1e-40, proof


def test_multiclass_identities_proved():
    for k in (2, 4):
        for proof in multiclass_identities(k):
            assert proof.proved and proof[2] < 1e-40, (k, proof)


def test_target_and_check_verdict():
    assert target_form()
    assert check_b2().passed
