import pytest

from peyvand_contacts.text import fold, fold_digits


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("علي", "علی"),  # Arabic yeh
        ("مصطفى", "مصطفی"),  # alef maksura
        ("كريم", "کریم"),  # Arabic kaf
        ("فاطمة", "فاطمه"),  # teh marbuta
        ("أحمد", "احمد"),
        ("إبراهيم", "ابراهیم"),
        ("مؤسسه", "موسسه"),
        ("آرش", "آرش"),  # آ is a letter of its own and is kept
        ("آب", "آب"),
        ("ٱلله", "الله"),  # alef wasla
    ],
)
def test_arabic_letter_forms_become_persian(raw, expected):
    assert fold(raw) == expected


def test_arabic_and_persian_spellings_of_a_name_fold_together():
    assert fold("علي كريمي") == fold("علی کریمی") == "علی کریمی"


def test_zwnj_is_removed():
    assert fold("می\u200cخواهم") == "میخواهم"
    assert fold("علی\u200cرضا") == fold("علیرضا")


@pytest.mark.parametrize(
    "invisible",
    ["\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u202a", "\u202b", "\u202c",
     "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\u061c", "\ufeff", "\u00ad"],
)
def test_zero_width_and_bidi_controls_are_removed(invisible):
    assert fold(f"{invisible}ab{invisible}c{invisible}") == "abc"


def test_diacritics_and_tatweel_are_removed():
    assert fold("مُحَمَّد") == "محمد"
    assert fold("کـــتاب") == "کتاب"
    assert fold("كِتَابٌ") == "کتاب"
    assert fold("رحمٰن") == "رحمن"  # superscript alef


def test_decomposed_madda_and_hamza_match_precomposed_letters():
    assert fold("\u0627\u0653ب") == fold("آب") == "آب"
    assert fold("\u0627\u0654حمد") == fold("أحمد") == "احمد"
    assert fold("\u0648\u0654") == fold("ؤ") == "و"
    assert fold("خانه\u0654") == fold("خانۀ") == "خانه"
    assert fold("مس\u064a\u0654ول") == fold("مسئول") == "مسئول"


def test_persian_and_arabic_indic_digits_become_ascii():
    assert fold("۰۱۲۳۴۵۶۷۸۹") == "0123456789"
    assert fold("٠١٢٣٤٥٦٧٨٩") == "0123456789"
    assert fold("پلاک ۱۲ واحد ٣") == "پلاک 12 واحد 3"


def test_casefold_and_whitespace():
    assert fold("  Ali\t\tREZA \n Karimi  ") == "ali reza karimi"
    assert fold("Straße") == fold("STRASSE") == "strasse"
    assert fold("a\u00a0\u00a0b") == "a b"  # no-break spaces
    assert fold("a \u200c b") == "a b"  # ZWNJ removed, spaces then collapsed


def test_presentation_forms_and_fullwidth_latin():
    # "علی" as it comes out of many PDFs: isolated/initial/final glyph forms
    assert fold("\ufecb\ufee0\ufbfc") == "علی"
    assert fold("\ufefb") == "لا"  # lam-alef ligature
    assert fold("\uff21\uff4c\uff49") == "ali"


def test_empty_and_blank():
    assert fold("") == ""
    assert fold(" \u200c\u200f\t ") == ""


@pytest.mark.parametrize(
    "raw",
    ["  علي‌رضا   كريمي ", "ALI reza", "مُحَمَّد ۱۲", "\ufecb\ufee0\ufbfc", "Straße", "اٰ"],
)
def test_fold_is_idempotent(raw):
    once = fold(raw)
    assert fold(once) == once


def test_fold_digits_changes_only_digits():
    assert fold_digits("علي ۰۹۱۲-٣٤٥ Ab") == "علي 0912-345 Ab"
    assert fold_digits("") == ""
    assert fold_digits("abc") == "abc"
