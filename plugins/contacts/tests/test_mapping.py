import pytest

from peyvand_contacts.importing.mapping import DEFAULT_PERSON_SYNONYMS, guess_mapping, header_key


def test_typical_persian_spreadsheet():
    headers = ["ردیف", "نام", "نام خانوادگی", "کد ملی", "تلفن همراه", "تلفن ثابت", "ایمیل",
               "شرکت", "سمت", "کد پستی", "آدرس", "شهر", "توضیحات", "برچسب"]
    assert guess_mapping(headers, DEFAULT_PERSON_SYNONYMS) == {
        "ردیف": None,
        "نام": "first_name",
        "نام خانوادگی": "last_name",
        "کد ملی": "national_id",
        "تلفن همراه": "mobile",
        "تلفن ثابت": "phone",
        "ایمیل": "email",
        "شرکت": "organization",
        "سمت": "job_title",
        "کد پستی": "postal_code",
        "آدرس": "address",
        "شهر": "city",
        "توضیحات": "notes",
        "برچسب": "tags",
    }


def test_outlook_export_headers():
    headers = ["First Name", "Middle Name", "Last Name", "E-mail Address", "Mobile Phone",
               "Business Phone", "Company", "Job Title", "Business Street", "Business City",
               "Business Postal Code", "Notes", "Categories"]
    assert guess_mapping(headers) == {
        "First Name": "first_name",
        "Middle Name": None,  # "name" is exact-only, so it is not a full name
        "Last Name": "last_name",
        "E-mail Address": "email",
        "Mobile Phone": "mobile",
        "Business Phone": "phone",
        "Company": "organization",
        "Job Title": "job_title",
        "Business Street": "address",
        "Business City": "city",
        "Business Postal Code": "postal_code",
        "Notes": "notes",
        "Categories": "tags",
    }


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("نام و نام خانوادگی", "full_name"),
        ("نام ونام‌خانوادگی", "full_name"),
        ("Name", "full_name"),
        ("Full Name", "full_name"),
        ("نام خانوادگي", "last_name"),  # Arabic yeh
        ("نام‌خانوادگی", "last_name"),  # ZWNJ
        ("نام_خانوادگی", "last_name"),
        ("Last_Name", "last_name"),
        ("surname", "last_name"),
        ("given name", "first_name"),
        ("FIRSTNAME", "first_name"),
        ("first_name", "first_name"),  # the field name itself
        ("E-MAIL", "email"),
        ("پست الکترونیک", "email"),
        ("پست الكترونيكي", "email"),
        ("موبایل", "mobile"),
        ("همراه", "mobile"),
        ("شماره همراه", "mobile"),
        ("شماره تماس", "phone"),
        ("تلفن", "phone"),
        ("سازمان", "organization"),
        ("organisation", "organization"),
        ("عنوان شغلی", "job_title"),
        ("title", "job_title"),
        ("ادرس", "address"),  # typed without the madda
        ("نشانی", "address"),
        ("یادداشت", "notes"),
        ("کدپستی", "postal_code"),
        ("کد ملی:", "national_id"),
    ],
)
def test_single_header(header, field):
    assert guess_mapping([header]) == {header: field}


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("شماره موبایل مدیر", "mobile"),
        ("تلفن همراه مشتری", "mobile"),  # longest synonym wins over "تلفن"
        ("تلفن محل کار", "phone"),
        ("آدرس ایمیل", "email"),  # "ایمیل" is longer than "آدرس"
        ("Company Name", "organization"),
        ("نام شرکت مشتری", "organization"),
        ("E-mail 1 - Value", "email"),
        ("Phone 1 - Value", "phone"),
        ("Home City", "city"),
        ("شهر محل سکونت", "city"),
    ],
)
def test_containment(header, field):
    assert guess_mapping([header]) == {header: field}


@pytest.mark.parametrize("header", ["نام پدر", "نام کاربری", "Middle Name", "hotel", "stage",
                                    "شماره شناسنامه", "---", ""])
def test_exact_only_synonyms_and_unknown_headers_stay_unmapped(header):
    assert guess_mapping([header]) == {header: None}


def test_exact_matches_beat_earlier_containment():
    headers = ["نام پدر", "تلفن همراه مدیر", "نام", "موبایل"]
    assert guess_mapping(headers) == {
        "نام پدر": None,
        "تلفن همراه مدیر": None,  # "mobile" went to the exact "موبایل"
        "نام": "first_name",
        "موبایل": "mobile",
    }


def test_a_field_is_used_once_and_the_first_header_wins():
    assert guess_mapping(["موبایل", "تلفن همراه", "Mobile"]) == {
        "موبایل": "mobile",
        "تلفن همراه": None,
        "Mobile": None,
    }
    assert guess_mapping(["شماره موبایل ۱", "شماره موبایل ۲"]) == {
        "شماره موبایل ۱": "mobile",
        "شماره موبایل ۲": None,
    }


def test_a_taken_field_does_not_fall_back_to_a_weaker_match():
    # "تلفن همراه ۲" contains "تلفن" too, but a second mobile is not a landline.
    assert guess_mapping(["موبایل", "تلفن همراه ۲"]) == {"موبایل": "mobile", "تلفن همراه ۲": None}


def test_result_keeps_header_order():
    headers = ["ایمیل", "ناشناخته", "نام"]
    assert list(guess_mapping(headers)) == headers


def test_custom_fields():
    fields = {
        "name": ["=name", "شرکت", "نام شرکت", "company"],
        "economic_code": ["کد اقتصادی", "economic code"],
        "national_id": ["شناسه ملی"],
    }
    headers = ["نام شرکت", "کد اقتصادي", "شناسه‌ملی", "economic_code", "تلفن"]
    assert guess_mapping(headers, fields) == {
        "نام شرکت": "name",
        "کد اقتصادي": "economic_code",
        "شناسه‌ملی": "national_id",
        "economic_code": None,  # exact match, but the field is already taken
        "تلفن": None,
    }


def test_synonym_listed_under_two_fields_goes_to_the_first():
    fields = {"a": ["x"], "b": ["x"]}
    assert guess_mapping(["X"], fields) == {"X": "a"}


def test_empty_headers():
    assert guess_mapping([]) == {}


def test_header_key():
    assert header_key(" E-Mail_Address ") == "emailaddress"
    assert header_key("نام‌خانوادگي") == header_key("نام خانوادگی") == "نامخانوادگی"
    assert header_key("آدرس") == header_key("ادرس") == "ادرس"
    assert header_key("کد ملی (۱۰ رقمی)") == "کدملی10رقمی"


def test_default_synonyms_cover_the_documented_fields():
    expected = {"first_name", "last_name", "full_name", "email", "phone", "mobile",
                "organization", "job_title", "national_id", "postal_code", "address", "city",
                "notes", "tags"}
    assert set(DEFAULT_PERSON_SYNONYMS) == expected
    # Every synonym must map to its own field when it is the only header.
    for field, synonyms in DEFAULT_PERSON_SYNONYMS.items():
        for synonym in synonyms:
            header = synonym.removeprefix("=")
            assert guess_mapping([header]) == {header: field}, synonym
