"""Question types: HK phone and HKID rules, numbers, dates, checkboxes, addresses; magic-byte sniffing."""

import pytest
from django.core.exceptions import ValidationError

from services.eforms.fields import normalise_hk_phone, normalise_hkid, page_form, sniff, validate_page
from tests.services.eforms.factories import text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("9123 4567", "+85291234567"), ("+852 2123-4567", "+85221234567"), ("85251234567", "+85251234567")],
)
def test_hong_kong_phone_numbers(raw: str, expected: str) -> None:
    assert normalise_hk_phone(raw) == expected


@pytest.mark.parametrize("raw", ["1234 5678", "912345", "+44 20 7946 0000", "phone"])
def test_other_phone_numbers_are_refused(raw: str) -> None:
    with pytest.raises(ValidationError):
        normalise_hk_phone(raw)


@pytest.mark.parametrize(("raw", "expected"), [("a123456(3)", "A123456(3)"), ("c345678 a", "C345678(A)")])
def test_hkid_numbers_with_a_valid_check_digit(raw: str, expected: str) -> None:
    assert normalise_hkid(raw) == expected


@pytest.mark.parametrize("raw", ["A123456(4)", "A12345(3)", "123456(3)", "AAA123456(3)"])
def test_hkid_numbers_with_a_wrong_check_digit_or_shape(raw: str) -> None:
    with pytest.raises(ValidationError):
        normalise_hkid(raw)


def test_two_letter_hkid() -> None:
    # XA000000: weights 9, 8 on the letters, then 7..2 on the digits.
    total = 9 * (ord("X") - 55) + 8 * (ord("A") - 55)
    check = (11 - total % 11) % 11
    digit = "A" if check == 10 else str(check)
    assert normalise_hkid(f"XA000000{digit}") == f"XA000000({digit})"


def test_sniffing_reads_magic_bytes_only() -> None:
    assert sniff(b"%PDF-1.7 ...") == ("pdf", "application/pdf")
    assert sniff(b"\x89PNG\r\n\x1a\nrest") == ("png", "image/png")
    assert sniff(b"\xff\xd8\xff\xe0") == ("jpeg", "image/jpeg")
    assert sniff(b"<html>%PDF-") is None and sniff(b"") is None


PAGE = {
    "key": "p",
    "title": text("P"),
    "fields": [
        {"key": "count", "type": "number", "label": text("Count"), "min": 1, "max": 5, "required": True},
        {"key": "born", "type": "date", "label": text("Born"), "min": "1900-01-01", "max": "2026-01-01"},
        {
            "key": "pets",
            "type": "checkbox",
            "label": text("Pets"),
            "choices": [{"value": "cat", "label": text("Cat")}, {"value": "dog", "label": text("Dog")}],
        },
        {"key": "news", "type": "checkbox", "label": text("Send news")},
        {"key": "home", "type": "hk_address", "label": text("Home"), "required": True},
        {"key": "email", "type": "email", "label": text("Email")},
    ],
}


def form_for(data: dict) -> object:
    return page_form(page=PAGE, answers={}, prefilled={}, files_present=set(), data=data)


def test_answers_are_stored_as_json_values() -> None:
    form = form_for(
        {
            "count": "3",
            "born": "1985-06-15",
            "pets": ["cat", "dog"],
            "news": "on",
            "home__street": "1 Main Street",
            "home__district": "sha-tin",
            "email": "chan@example.test",
        }
    )
    assert validate_page(form, answers={})
    assert form.answers() == {
        "count": 3,
        "born": "1985-06-15",
        "pets": ["cat", "dog"],
        "news": True,
        "home": {"flat": "", "building": "", "street": "1 Main Street", "district": "sha-tin"},
        "email": "chan@example.test",
    }


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"count": "9"}, "count"),
        ({"count": "two"}, "count"),
        ({"born": "2030-01-01"}, "born"),
        ({"born": "15/06/1985"}, "born"),
        ({"pets": ["fish"]}, "pets"),
        ({"home__district": "atlantis"}, "home__district"),
        ({"email": "not-an-email"}, "email"),
    ],
)
def test_bad_answers_are_refused(data: dict, field: str) -> None:
    base = {"count": "1", "home__street": "1 Main Street", "home__district": "sha-tin"}
    form = form_for({**base, **data})
    assert not validate_page(form, answers={})
    assert field in form.errors
