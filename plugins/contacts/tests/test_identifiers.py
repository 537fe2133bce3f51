import random

import pytest

from peyvand_contacts.identifiers import (
    PERSIAN_NAMES,
    InvalidIdentifier,
    company_national_id,
    economic_code,
    national_id,
    postal_code,
)

# Reference check-digit rules, written independently of the module (as a
# direct transcription of the published formulas) so that the tests do not
# just repeat the implementation.


def reference_national_id_check(first_nine: str) -> int:
    weights = [10, 9, 8, 7, 6, 5, 4, 3, 2]
    s = 0
    for position in range(9):
        s += int(first_nine[position]) * weights[position]
    r = s % 11
    if r < 2:
        return r
    return 11 - r


def reference_company_id_check(first_ten: str) -> int:
    weights = [29, 27, 23, 19, 17, 29, 27, 23, 19, 17]
    d = int(first_ten[9]) + 2
    s = 0
    for position in range(10):
        s += (int(first_ten[position]) + d) * weights[position]
    r = s % 11
    if r == 10:
        return 0
    return r


def make_national_id(rng: random.Random) -> str:
    while True:
        body = "".join(rng.choice("0123456789") for _ in range(9))
        candidate = body + str(reference_national_id_check(body))
        if len(set(candidate)) > 1:
            return candidate


def make_company_id(rng: random.Random) -> str:
    body = "1" + "".join(rng.choice("0123456789") for _ in range(9))
    return body + str(reference_company_id_check(body))


def wrong_last_digit(number: str) -> str:
    return number[:-1] + str((int(number[-1]) + 1) % 10)


# --- national id ---------------------------------------------------------------


def test_national_id_hand_computed_example():
    # 0013542419: 0*10 + 0*9 + 1*8 + 3*7 + 5*6 + 4*5 + 2*4 + 4*3 + 1*2 = 101;
    # 101 % 11 = 2, which is not < 2, so the check digit is 11 - 2 = 9.
    assert national_id("0013542419") == "0013542419"
    # 1234567891: sum = 210, 210 % 11 = 1 < 2, check digit 1.
    assert national_id("1234567891") == "1234567891"


@pytest.mark.parametrize(
    "raw",
    ["0013542419", "001-354241-9", " 001 354 2419 ", "۰۰۱۳۵۴۲۴۱۹", "٠٠١٣٥٤٢٤١٩", "۰۰۱-۳۵۴۲۴۱-۹"],
)
def test_national_id_normalisation(raw):
    assert national_id(raw) == "0013542419"


@pytest.mark.parametrize("raw", ["13542419", "013542419", 13542419, "۱۳۵۴۲۴۱۹"])
def test_national_id_left_pads_spreadsheet_numbers(raw):
    assert national_id(raw) == "0013542419"


def test_constructed_national_ids_are_accepted_and_typos_rejected():
    rng = random.Random(1403)
    for _ in range(300):
        number = make_national_id(rng)
        assert national_id(number) == number
        with pytest.raises(InvalidIdentifier, match="check digit"):
            national_id(wrong_last_digit(number))


def test_exactly_one_check_digit_is_valid():
    accepted = [d for d in "0123456789" if _accepts(national_id, "001354241" + d)]
    assert accepted == ["9"]


@pytest.mark.parametrize("digit", "0123456789")
def test_national_id_rejects_repeated_digit(digit):
    value = digit * 10
    # The checksum alone would accept these; the explicit rule must reject them.
    assert reference_national_id_check(value[:9]) == int(value[9])
    with pytest.raises(InvalidIdentifier, match="same"):
        national_id(value)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty"),
        ("  - ", "empty"),
        ("1234567", "10 digits, not 7"),
        ("00135424190", "10 digits, not 11"),
        ("00135424a9", "only digits"),
        ("0013542418", "check digit"),
        ("00.1354.2419", "only digits"),
    ],
)
def test_national_id_errors_name_identifier_and_reason(raw, reason):
    with pytest.raises(InvalidIdentifier) as info:
        national_id(raw)
    error = info.value
    assert str(error).startswith(f"Invalid national id {raw!r}: ")
    assert reason in error.reason
    assert error.identifier == "national id"
    assert error.value == raw
    assert isinstance(error, ValueError)


@pytest.mark.parametrize("raw", [None, 13542419.0, True, ["0013542419"]])
def test_identifiers_reject_non_text(raw):
    with pytest.raises(InvalidIdentifier, match="expected text"):
        national_id(raw)


# --- company national id ---------------------------------------------------------


def test_company_id_hand_computed_examples():
    # 1010030274|6: d = 4 + 2 = 6; digits + 6 = 7 6 7 6 6 9 6 8 13 10;
    # 7*29 + 6*27 + 7*23 + 6*19 + 6*17 + 9*29 + 6*27 + 8*23 + 13*19 + 10*17
    # = 203 + 162 + 161 + 114 + 102 + 261 + 162 + 184 + 247 + 170 = 1766;
    # 1766 % 11 = 6.
    assert company_national_id("10100302746") == "10100302746"
    # 1010030277|0: d = 9; digits + 9 = 10 9 10 9 9 12 9 11 16 16;
    # 290 + 243 + 230 + 171 + 153 + 348 + 243 + 253 + 304 + 272 = 2507;
    # 2507 % 11 = 10, which maps to 0.
    assert company_national_id("10100302770") == "10100302770"


def test_company_id_only_the_right_check_digit_is_accepted():
    assert [d for d in "0123456789" if _accepts(company_national_id, "1010030274" + d)] == ["6"]
    assert [d for d in "0123456789" if _accepts(company_national_id, "1010030277" + d)] == ["0"]


def test_constructed_company_ids_are_accepted_and_typos_rejected():
    rng = random.Random(1397)
    for _ in range(300):
        number = make_company_id(rng)
        assert company_national_id(number) == number
        with pytest.raises(InvalidIdentifier, match="check digit"):
            company_national_id(wrong_last_digit(number))


def test_company_id_normalisation():
    assert company_national_id("۱۰۱۰۰۳۰۲۷۴۶") == "10100302746"
    assert company_national_id("1010-0302-746") == "10100302746"
    assert company_national_id(10100302746) == "10100302746"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [("1010030274", "11 digits, not 10"), ("101003027460", "11 digits, not 12"),
     ("10100302747", "check digit"), ("1010030274x", "only digits")],
)
def test_company_id_errors(raw, reason):
    with pytest.raises(InvalidIdentifier) as info:
        company_national_id(raw)
    assert info.value.identifier == "company national id"
    assert reason in str(info.value)


# --- economic code ---------------------------------------------------------------


def test_economic_code_of_a_person_is_a_national_id():
    assert economic_code("0013542419") == "0013542419"
    assert economic_code("13542419") == "0013542419"
    with pytest.raises(InvalidIdentifier, match="check digit") as info:
        economic_code("0013542418")
    assert info.value.identifier == "economic code"


def test_economic_code_of_a_company_is_its_national_id():
    assert economic_code("۱۰۱۰۰۳۰۲۷۴۶") == "10100302746"
    with pytest.raises(InvalidIdentifier, match="check digit"):
        economic_code("10100302747")


def test_legacy_twelve_digit_economic_code():
    assert economic_code("4111-1111-1111") == "411111111111"
    with pytest.raises(InvalidIdentifier, match="zeros"):
        economic_code("000000000000")


@pytest.mark.parametrize("raw", ["1234567", "1234567890123", ""])
def test_economic_code_lengths(raw):
    with pytest.raises(InvalidIdentifier) as info:
        economic_code(raw)
    assert info.value.identifier == "economic code"
    assert "10, 11 or 12 digits" in str(info.value) or "empty" in str(info.value)


# --- postal code -----------------------------------------------------------------


@pytest.mark.parametrize(
    "raw", ["1318914568", "13189-14568", "۱۳۱۸۹-۱۴۵۶۸", " 13189 14568 ", 1318914568]
)
def test_postal_code_accepts(raw):
    assert postal_code(raw) == "1318914568"


def test_postal_code_allows_zero_and_two_in_the_last_five_digits():
    assert postal_code("1318910220") == "1318910220"
    assert postal_code("9999900000") == "9999900000"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("0318914568", "digit 1 is 0"),
        ("2318914568", "digit 1 is 2"),
        ("1308914568", "digit 3 is 0"),
        ("1328914568", "digit 3 is 2"),
        ("1318014568", "digit 5 is 0"),
        ("1318514568", "fifth digit is never 5"),
        ("131891456", "10 digits, not 9"),
        ("13189145689", "10 digits, not 11"),
        ("13189/14568", "only digits"),
    ],
)
def test_postal_code_rejects(raw, reason):
    with pytest.raises(InvalidIdentifier) as info:
        postal_code(raw)
    assert info.value.identifier == "postal code"
    assert reason in str(info.value)


def test_persian_names_cover_every_identifier():
    kinds = set()
    for validator, bad in [(national_id, "1"), (company_national_id, "1"),
                           (economic_code, "1"), (postal_code, "1")]:
        with pytest.raises(InvalidIdentifier) as info:
            validator(bad)
        kinds.add(info.value.identifier)
    assert kinds == set(PERSIAN_NAMES)
    assert PERSIAN_NAMES["national id"] == "کد ملی"


def _accepts(validator, value):
    try:
        validator(value)
    except InvalidIdentifier:
        return False
    return True
