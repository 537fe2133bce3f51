"""Text folding for search and duplicate detection (Persian, Arabic and Latin text).

Persian text typed on different keyboards, pasted from Word or exported by
older Arabic-locale software differs in ways a person cannot see: Arabic
``ي``/``ك`` instead of Persian ``ی``/``ک``, zero-width non-joiners, bidi marks
picked up when copying from a right-to-left page, diacritics, tatweel (ـ) and
Persian or Arabic-Indic digits.  Two strings that *look* the same to a user
should fold to the same key.

``fold()`` produces such a key.  It is lossy by design and meant for
comparison, indexing and search only: store what the user typed and fold a
copy.  Apply the same function to both sides of every comparison (the stored
value and the query) so that the rules can change in one place.

Examples::

    >>> fold("  علي‌رضا   كريمي ")
    'علیرضا کریمی'
    >>> fold("Ali  REZA")
    'ali reza'
    >>> fold_digits("۰۹۱۲-٣٤٥")
    '0912-345'
"""

from __future__ import annotations

import unicodedata

__all__ = ["fold", "fold_digits"]

_PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"  # U+06F0..U+06F9
_ARABIC_INDIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"  # U+0660..U+0669

_DIGIT_TABLE: dict[int, str] = {}
for _i in range(10):
    _DIGIT_TABLE[ord(_PERSIAN_DIGITS[_i])] = str(_i)
    _DIGIT_TABLE[ord(_ARABIC_INDIC_DIGITS[_i])] = str(_i)

# Letters that Arabic-locale keyboards and software produce where Persian
# spelling uses a different code point.  آ is deliberately kept: in Persian it
# is a distinct letter (آب vs اب), whereas the hamza-carrying alefs are
# spelling variants that users type inconsistently.
_LETTERS = {
    "ي": "ی",  # U+064A Arabic yeh
    "ى": "ی",  # U+0649 alef maksura
    "ك": "ک",  # U+0643 Arabic kaf
    "ڪ": "ک",  # U+06AA swash kaf
    "ة": "ه",  # U+0629 teh marbuta
    "ۀ": "ه",  # U+06C0 heh with yeh above (the "ye" is an ezafe marker)
    "ە": "ه",  # U+06D5 ae
    "ھ": "ه",  # U+06BE heh doachashmee (Urdu keyboards)
    "ہ": "ه",  # U+06C1 heh goal
    "أ": "ا",  # U+0623 alef with hamza above
    "إ": "ا",  # U+0625 alef with hamza below
    "ٱ": "ا",  # U+0671 alef wasla
    "ؤ": "و",  # U+0624 waw with hamza above
}

# Characters that render as nothing but make strings unequal.  Removing ZWNJ
# makes "می‌روم" and "میروم" fold together, which is what users expect from
# search even though the spellings differ typographically.
_INVISIBLE = (
    "\u00ad"  # soft hyphen
    "\u061c"  # Arabic letter mark
    "\u180e"  # Mongolian vowel separator (formerly a space)
    "\u200b\u200c\u200d\u200e\u200f"  # ZWSP, ZWNJ, ZWJ, LRM, RLM
    "\u202a\u202b\u202c\u202d\u202e"  # LRE, RLE, PDF, LRO, RLO
    "\u2060\u2061\u2062\u2063\u2064"  # word joiner, invisible operators
    "\u2066\u2067\u2068\u2069"  # LRI, RLI, FSI, PDI
    "\ufeff"  # BOM / zero-width no-break space
)

# Tatweel, harakat, tanwin, shadda, sukun, superscript alef, Quranic marks.
_DIACRITICS = (
    "\u0640"
    + "".join(chr(c) for c in range(0x0610, 0x061B))
    + "".join(chr(c) for c in range(0x064B, 0x0660))
    + "\u0670"
    + "".join(chr(c) for c in range(0x06D6, 0x06DD))
    + "".join(chr(c) for c in range(0x06DF, 0x06E5))
    + "\u06e7\u06e8"
    + "".join(chr(c) for c in range(0x06EA, 0x06EE))
)

# A combining maddah/hamza after a bare letter is the decomposed spelling of a
# precomposed letter.  It is recomposed before the marks are stripped so that
# the decomposed آ stays آ and the decomposed ئ stays ئ, as their precomposed
# forms do.
_RECOMPOSE = (
    ("\u0627\u0653", "آ"),
    ("\u064a\u0654", "ئ"),
    ("\u06cc\u0654", "ئ"),
)


def _build_fold_table() -> dict[int, str | None]:
    table: dict[int, str | None] = dict(_DIGIT_TABLE)
    for src, dst in _LETTERS.items():
        table[ord(src)] = dst
    for ch in _INVISIBLE + _DIACRITICS:
        table[ord(ch)] = None

    # Presentation forms (text copied out of PDFs) and full-width Latin
    # (East-Asian input methods) are folded through NFKC once, here, so that
    # fold() itself never has to call unicodedata.normalize().
    base = str.maketrans(table)
    ranges = [(0xFB50, 0xFDFF), (0xFE70, 0xFEFE), (0xFF01, 0xFF5E)]
    for start, end in ranges:
        for cp in range(start, end + 1):
            if cp in table:
                continue
            nfkc = unicodedata.normalize("NFKC", chr(cp))
            if nfkc != chr(cp):
                table[cp] = nfkc.translate(base) or None
    return table


_FOLD_TABLE = str.maketrans(_build_fold_table())
_DIGITS_ONLY_TABLE = str.maketrans(_DIGIT_TABLE)


def fold_digits(text: str) -> str:
    """Replace Persian (۰-۹) and Arabic-Indic (٠-٩) digits with ASCII 0-9.

    Nothing else changes, so the result is still fit for display.  Use it
    before parsing numbers, phone numbers or identifiers that users may type
    with a Persian keyboard.
    """
    return text.translate(_DIGITS_ONLY_TABLE)


def fold(text: str) -> str:
    """Return a comparison key for ``text``; equal keys mean "same to a user".

    Applied, in order:

    * Arabic letter variants become their Persian form: ``ي ى → ی``,
      ``ك → ک``, ``ة ۀ → ه``, ``أ إ ٱ → ا``, ``ؤ → و``; ``آ`` and ``ئ`` are
      kept.
    * Zero-width characters (ZWNJ, ZWJ, ZWSP, BOM, soft hyphen) and bidi
      controls (LRM, RLM, embeddings, isolates) are removed.
    * Arabic diacritics (harakat, tanwin, shadda, sukun, superscript alef,
      Quranic marks) and tatweel ``ـ`` are removed.
    * Persian and Arabic-Indic digits become ASCII digits.
    * Arabic presentation forms and full-width Latin are mapped to their
      ordinary letters.
    * Case is folded with :meth:`str.casefold` (so ``"Straße"`` matches
      ``"STRASSE"``).
    * Runs of any Unicode whitespace (including NBSP) become one space, and
      the ends are stripped.

    ``fold`` is idempotent: ``fold(fold(s)) == fold(s)``.  It costs one or two
    microseconds for a short name, so it is fine to call per row in a bulk
    import.
    """
    if "\u0653" in text or "\u0654" in text:
        for decomposed, composed in _RECOMPOSE:
            text = text.replace(decomposed, composed)
    # str.split() without arguments splits on every Unicode whitespace
    # character and drops empty pieces, which is faster than a regex.
    return " ".join(text.translate(_FOLD_TABLE).casefold().split())
