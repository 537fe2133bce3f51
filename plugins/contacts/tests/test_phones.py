import pytest

from peyvand_contacts.emails import InvalidEmail, normalize_email
from peyvand_contacts.phones import InvalidPhone, normalize_phone, phone_type


@pytest.mark.parametrize(
    "raw",
    [
        "09121234567",
        "+989121234567",
        "00989121234567",
        "9121234567",  # leading 0 dropped by a spreadsheet
        "989121234567",
        "0912 123 4567",
        "0912-123-4567",
        "(0912) 123.45.67",
        "+98 (912) 123-4567",
        "+98 (0) 912 1234567",
        "0098-912-123-4567",
        "  09121234567  ",
        "۰۹۱۲۱۲۳۴۵۶۷",
        "۰۹۱۲ ۱۲۳ ۴۵۶۷",
        "٠٩١٢١٢٣٤٥٦٧",
        "+۹۸ ۹۱۲ ۱۲۳ ۴۵۶۷",
        "\u200e+98 912 123 4567\u200f",  # bidi marks from a copied RTL page
        "0912\u2013123\u20134567",  # en dashes, as Word writes them
        9121234567,
    ],
)
def test_iranian_mobile_spellings(raw):
    assert normalize_phone(raw) == "+989121234567"


@pytest.mark.parametrize(
    "raw",
    ["021-88776655", "(021) 8877 6655", "+98 21 8877 6655", "2188776655", "۰۲۱۸۸۷۷۶۶۵۵"],
)
def test_tehran_landline(raw):
    assert normalize_phone(raw) == "+982188776655"


def test_other_countries():
    assert normalize_phone("+44 20 7183 8750") == "+442071838750"
    assert normalize_phone("0044 20 7183 8750") == "+442071838750"
    assert normalize_phone("020 7183 8750", region="GB") == "+442071838750"
    assert normalize_phone("020 7183 8750", region="gb") == "+442071838750"
    assert normalize_phone("+1 (650) 253-0000", region=None) == "+16502530000"
    # "00" is the international prefix in Iran and most countries, also when
    # no default region is given.
    assert normalize_phone("0044 20 7183 8750", region=None) == "+442071838750"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("0912", "no such number"),
        ("0912123456", "no such number"),  # one digit short
        ("091212345678", "too many digits"),
        ("+98912123456", "wrong number of digits"),
        ("88776655", "area code"),  # Tehran number without 021
        ("0912abc4567", "letters"),
        ("09121234567 ext 12", "extensions"),
        ("+999 1234 5678", "country code"),
        ("not a phone", "letters"),
        ("+", "not a phone number"),
    ],
)
def test_invalid_numbers_are_rejected_with_a_clear_message(raw, reason):
    with pytest.raises(InvalidPhone) as info:
        normalize_phone(raw)
    message = str(info.value)
    assert repr(raw) in message
    assert reason in message
    assert info.value.value == raw
    assert isinstance(info.value, ValueError)


def test_national_number_needs_a_region():
    with pytest.raises(InvalidPhone, match="no country code"):
        normalize_phone("09121234567", region=None)


@pytest.mark.parametrize("raw", [None, 9.1e9, True, b"09121234567"])
def test_non_text_input_is_rejected(raw):
    with pytest.raises(InvalidPhone, match="expected text"):
        normalize_phone(raw)


def test_repeated_invalid_value_raises_every_time():
    # Failures are cached as results; each call must still raise.
    for _ in range(3):
        with pytest.raises(InvalidPhone):
            normalize_phone("0912")


def test_repeated_valid_value_is_stable():
    assert [normalize_phone("0912 123 4567") for _ in range(3)] == ["+989121234567"] * 3


@pytest.mark.parametrize(
    ("e164", "kind"),
    [
        ("+989121234567", "mobile"),
        ("+989901234567", "mobile"),
        ("+982188776655", "landline"),
        ("+985138001234", "landline"),  # Mashhad
        ("+442071838750", "landline"),
        ("+447400123456", "mobile"),
        ("+16502530000", "other"),  # North America: mobile and fixed are not distinguished
    ],
)
def test_phone_type(e164, kind):
    assert phone_type(e164) == kind


@pytest.mark.parametrize("value", ["09121234567", "+98912", "+999123456789", "", None])
def test_phone_type_rejects_non_e164(value):
    with pytest.raises(InvalidPhone):
        phone_type(value)


def test_phone_type_of_normalized_number():
    assert phone_type(normalize_phone("۰۲۱-۸۸۷۷۶۶۵۵")) == "landline"


# --- e-mail ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ali@example.com", "ali@example.com"),
        ("  Ali.Karimi@Example.COM ", "ali.karimi@example.com"),
        ("ali۱۲۳@example.ir", "ali123@example.ir"),
        ("ali٤٥@example.ir", "ali45@example.ir"),
        ("\u200fali@example.com\u200e", "ali@example.com"),
        ("first+tag@sub.example.co.ir", "first+tag@sub.example.co.ir"),
        ("STRASSE@Beispiel.DE", "strasse@beispiel.de"),
        ("user@پیوند.ایران", "user@پیوند.ایران"),
    ],
)
def test_normalize_email(raw, expected):
    assert normalize_email(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("ali.example.com", "no @"),
        ("ali@@example.com", "more than one @"),
        ("a@b@example.com", "more than one @"),
        ("@example.com", "nothing before the @"),
        ("ali@", "nothing after the @"),
        ("ali@localhost", "no dot"),
        ("ali@example..com", "empty part"),
        ("ali@.example.com", "empty part"),
        ("ali@example.com.", "empty part"),
        ("ali karimi@example.com", "spaces"),
        ("ali@exa mple.com", "spaces"),
    ],
)
def test_invalid_email(raw, reason):
    with pytest.raises(InvalidEmail) as info:
        normalize_email(raw)
    assert reason in str(info.value)
    assert repr(raw) in str(info.value)
    assert isinstance(info.value, ValueError)


def test_email_rejects_non_text():
    with pytest.raises(InvalidEmail):
        normalize_email(None)
