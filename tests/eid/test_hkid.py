"""HKID numbers: check digit, normalisation, masking and keyed hashing (eid/hkid.py)."""

import hashlib
import hmac

import pytest
from django.core.exceptions import ValidationError

from eid.hkid import hkid_check_digit, hkid_hash, hkid_mask, hkid_normalise, hkid_validate

# Check digits worked out by hand (weights 9..2, a missing second letter counts 36, mod 11).
KNOWN_VALID = [
    ("A123456(3)", "A1234563"),
    ("B234567(1)", "B2345671"),
    ("C345678(A)", "C345678A"),
    ("AB123456(9)", "AB1234569"),
    ("A000010(0)", "A0000100"),
]


@pytest.mark.parametrize(("raw", "normalised"), KNOWN_VALID)
def test_known_valid_numbers_are_accepted(raw: str, normalised: str) -> None:
    """A number whose check digit is right is accepted and normalised to `PREFIXdigitsCHECK`."""
    assert hkid_validate(raw) == normalised


@pytest.mark.parametrize(("raw", "normalised"), KNOWN_VALID)
def test_check_digit_matches_the_hand_computed_one(raw: str, normalised: str) -> None:
    """hkid_check_digit gives the hand-computed digit for one- and two-letter prefixes."""
    prefix, digits, check = normalised[:-7], normalised[-7:-1], normalised[-1]
    assert hkid_check_digit(prefix, digits) == check


@pytest.mark.parametrize("prefix", ["A", "K", "Z", "AB", "WX", "ZZ"])
@pytest.mark.parametrize("digits", ["000000", "123456", "987654", "555555"])
def test_numbers_with_a_computed_check_digit_are_accepted(prefix: str, digits: str) -> None:
    """Any prefix of one or two letters with its computed check digit is valid, brackets or not."""
    check = hkid_check_digit(prefix, digits)
    assert check in set("0123456789A")
    assert hkid_validate(f"{prefix}{digits}({check})") == f"{prefix}{digits}{check}"
    assert hkid_validate(f"{prefix}{digits}{check}") == f"{prefix}{digits}{check}"


def test_check_digit_a_is_computed_for_both_prefix_lengths() -> None:
    """A remainder of 10 becomes the check digit 'A', which validates, with one or two letters."""
    for prefix in ("A", "AB"):
        digits = next(f"{n:06d}" for n in range(1_000_000) if hkid_check_digit(prefix, f"{n:06d}") == "A")
        assert hkid_validate(f"{prefix}{digits}(A)") == f"{prefix}{digits}A"


@pytest.mark.parametrize(
    "raw", ["a123456(3)", " A123456(3) ", "A 123 456 (3)", "a123456 3", "\tA123456(3)\n", "ab 123456 (9)"]
)
def test_lower_case_and_spaces_are_normalised(raw: str) -> None:
    """Lower case letters and any whitespace are accepted and normalised away."""
    assert hkid_validate(raw) == ("AB1234569" if raw.lower().startswith("ab") else "A1234563")


@pytest.mark.parametrize("raw", ["A123456(4)", "A123456(A)", "C345678(0)", "AB123456(8)", "B234567(2)"])
def test_a_wrong_check_digit_is_refused(raw: str) -> None:
    """An HKID with a wrong check digit is refused with the code hkid_check_digit."""
    with pytest.raises(ValidationError) as exc:
        hkid_validate(raw)
    assert exc.value.code == "hkid_check_digit"


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("", id="empty"),
        pytest.param("   ", id="blank"),
        pytest.param("A1234567(3)", id="seven-digits"),
        pytest.param("A12345(3)", id="five-digits"),
        pytest.param("A12B456(3)", id="letter-in-digits"),
        pytest.param("ABC123456(3)", id="three-letter-prefix"),
        pytest.param("123456(3)", id="no-prefix"),
        pytest.param("A123456(B)", id="check-letter-not-A"),
        pytest.param("A123456()", id="empty-brackets"),
        pytest.param("\uff21123456(3)", id="full-width-letter"),
        pytest.param("A123456(3)" * 1000, id="oversized"),
        pytest.param("A" * 10_000, id="10k-letters"),
    ],
)
def test_malformed_numbers_are_refused(raw: str) -> None:
    """Anything not shaped like one or two letters, six digits and a check digit is hkid_format."""
    with pytest.raises(ValidationError) as exc:
        hkid_validate(raw)
    assert exc.value.code == "hkid_format"


def test_normalise_alone_does_not_check_the_digit() -> None:
    """Normalising only checks the shape; the check digit is hkid_validate's job."""
    assert hkid_normalise("a123456(4)") == "A1234564"


@pytest.mark.parametrize(
    ("raw", "masked"),
    [("A123456(3)", "A123***(3)"), ("AB123456(9)", "AB123***(9)"), ("c345678a", "C345***(A)")],
)
def test_mask_keeps_prefix_three_digits_and_check_digit(raw: str, masked: str) -> None:
    """The masked form shows the prefix, the first three digits and the check digit only."""
    assert hkid_mask(hkid_validate(raw)) == masked


def test_hash_is_keyed_and_not_the_clear_number(settings: object) -> None:
    """The hash is an HMAC under HKID_HASH_KEY: another key gives another hash, none holds the number."""
    normalised = hkid_validate("A123456(3)")
    settings.HKID_HASH_KEY = "first-key-for-tests"
    first = hkid_hash(normalised)
    assert hkid_hash(normalised) == first, "the same key and number must give the same hash"
    settings.HKID_HASH_KEY = "second-key-for-tests"
    second = hkid_hash(normalised)

    assert first != second
    for digest in (first, second):
        assert len(digest) == 64 and all(ch in "0123456789abcdef" for ch in digest)
        assert "123456" not in digest
    # Not a plain (unkeyed) digest that a dictionary of all HKIDs would reverse.
    assert first != hashlib.sha256(normalised.encode()).hexdigest()
    expected = hmac.new(b"first-key-for-tests", normalised.encode(), hashlib.sha256).hexdigest()
    assert first == expected


def test_different_numbers_have_different_hashes() -> None:
    """Two different HKIDs never share a hash (which would make them look like duplicates)."""
    assert hkid_hash(hkid_validate("A123456(3)")) != hkid_hash(hkid_validate("B234567(1)"))
