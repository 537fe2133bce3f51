"""Full-text search over people and organisations (issue #7).

What is indexed
---------------
Each row of ``contacts_person`` and ``contacts_organization`` carries ``search_text``: the
folded (:func:`peyvand_contacts.text.fold`) words of its names, organisation name, e-mail and
phone number, computed by :func:`person_search_text` and :func:`organization_search_text`.
Every writer sets it: the API through ``cleaning.clean()``, imports by calling the same two
functions, :func:`reindex` for rows written without it (the demo data). The database indexes
the column itself, so any writer that sets it keeps the index right.

The text is a list of *words*: runs of letters and digits (``str.isalnum``), case-folded, with
Arabic letter forms (ي ك ة), Persian/Arabic-Indic digits, ZWNJ and diacritics folded, separated
by single spaces. Splitting in Python gives both databases exactly the same words, whatever
their tokenizer or locale would make of ``@``, ``+`` or Persian letters. Besides the words as
written the text holds the spellings a user may type instead:

* names: split at a ZWNJ (``علی‌رضا`` → ``علیرضا``, ``علی``, ``رضا``) and adjacent words joined
  (``تقی زاده`` → ``تقیزاده``), so ZWNJ, a space or nothing between the parts all match;
* e-mails: the words of the address and its local part joined (``ali.rezaei@x.ir`` →
  ``ali rezaei x ir alirezaei``);
* phones: the E.164 digits (``989121234567``), the local form (``09121234567``) and the
  national digits (``9121234567``).

Layout: ``<key> | <name words> | <other words>``. ``<key>`` is the last name (an organisation's
name) with its words joined, ``<name words>`` are first and last name (the organisation's name).
``|`` is not a word, so no query matches it; it only keeps the parts apart for ranking.

How a query matches and ranks
-----------------------------
The query is folded and split the same way; consecutive digit groups are one number (``0912
123 4567`` → ``09121234567``, ``+98 912`` → ``98912``) and a leading international ``00`` is
dropped. A record matches when *every* query word is the start of one of its words; infix
matches (``1234567`` inside a phone number) are not found. Hits rank in tiers; the best
``limit`` are kept, and equal on both databases:

* 4 - the key equals the query (exact last name / organisation name, words joined), by id;
* 3 - the key starts with the query (last name starting with it), the alphabetically first
  keys (code point order), then by id;
* 2 - the query's words appear in the order typed, the last one as a prefix (``علی رض`` finds
  ``علی رضایی``); only for queries of two words or more; by id;
* 1 - any other match (an organisation, an e-mail, a phone number…), by id.

(The kernel then shows every plugin's hits by score, then id.)

SQLite: FTS5 tables ``contacts_person_fts`` / ``contacts_organization_fts`` over
``search_text`` with the base table as external content (the text is not stored twice),
``unicode61`` without diacritic removal (the text is folded already) and prefix indexes of 2
and 3 characters, kept in step by ``AFTER INSERT/UPDATE/DELETE`` triggers on the base table
(``INSERT OR REPLACE`` into the base table would skip the delete trigger: use ``ON CONFLICT
DO UPDATE``), and a B-tree index of the key expression (migration 0007). The two key tiers read
that B-tree (the prefix tier in key order) and stop at ``limit``; the other tiers are one FTS5
query each, reading the index in rowid order and stopping after ``limit`` live rows the actor
may read, the phrase and "not a key match" tested on the row (:func:`_sqlite_tiers`). A word
that half the table contains therefore costs about what a rare one does, instead of ranking
every match, and a word that is nobody's key (an organisation word in 65,000 people's text)
costs one FTS5 read, not one per tier: FTS5 expands a prefix longer than its prefix indexes
into the doclists of every matching term before yielding the first row (about 20 ms for such a
word at 1M people), and that expansion is the tail of the latency. Query words are
double-quoted FTS5 strings, so quotes, ``*``, ``-``, ``OR``, ``NEAR`` or ``^`` typed by a user
are dropped by the word splitting or searched for as text, never parsed as syntax.

PostgreSQL: a GIN index over the words, ``array_to_tsvector(array_remove(string_to_array(
search_text, ' '), ''))`` (:data:`PG_WORDS`), partial on ``deleted_at IS NULL``, queried with a
prefix tsquery built from quoted words (``'رضا':* & '0912':*``). The index yields its matches
unordered, so the matches the actor may read are fetched, at most :data:`PG_CANDIDATES`, and
ranked by the same tiers computed with string functions on ``search_text``: exact while a query
matches fewer live records than that, a bound on the cost beyond (a word in 8% of 1M people
took 0.3-1.6 s to rank in full). The index is partial also because PostgreSQL keeps no
statistics on a partial index's expression: its default estimate keeps every search on the GIN
index, where with statistics it chose a sequential scan for broad words (1.6 s for ``Co.``).
GIN word index chosen over a ``pg_trgm`` trigram index:

* the same semantics as the SQLite index (word prefixes), so a search answers the same on both
  databases and one test suite covers both; trigrams answer substrings, another search;
* a trigram index cannot serve patterns shorter than 3 characters (``عل``, ``09``, the first
  keystrokes of a search-as-you-type box): at 1M rows those read the whole index. A GIN prefix
  scan serves them;
* a person has ~14 words but ~65 distinct trigrams: the word index is several times smaller
  and cheaper to keep up on every write and import (230 MB for 1M people), and it matches no
  false candidates, so nothing is rechecked against the row;
* ``array_to_tsvector`` is core and immutable and goes through neither a text-search parser nor
  the locale. ``pg_trgm`` needs ``CREATE EXTENSION`` (a superuser, or a trusted extension on a
  managed server), and in a database whose ``LC_CTYPE`` is ``C`` it ignores every Persian
  letter (``show_trgm('علی')`` is empty there), so Persian searches would read the whole table.

What neither index can do cheaply at 1M rows is rank every match: reading the row of each of
10,000 matches costs tens of ms. SQLite avoids it (each tier reads the FTS5 index in rowid
order and stops at ``limit``); a GIN bitmap cannot be read in order, so on PostgreSQL a common
name costs more than a rare one. ``bench/scenarios/search.py`` measures both: through HTTP at
1M people, p50 3 ms / p99 about 40 ms on SQLite (118 ms before the key index) and p50 25 ms /
p99 59 ms on PostgreSQL (default 128 MB ``shared_buffers``, smaller than the table).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .text import fold

__all__ = [
    "organization_search_text",
    "parse_query",
    "person_search_text",
    "refresh_people_of",
    "reindex",
    "secondary_values",
    "search",
]

ZWNJ = "\u200c"
#: A query's words beyond this many are ignored (pasted paragraphs would make slow queries).
MAX_QUERY_WORDS = 8
#: Longer query words are cut to this many characters.
MAX_WORD_LENGTH = 64

_WORD = re.compile(r"[^\W_]+")


def _words(folded: str) -> list[str]:
    return _WORD.findall(folded)


def _name_words(value: str | None) -> tuple[list[str], list[str]]:
    """``(words, variants)`` of a name: the folded words, and the spellings a user might type
    instead (split at ZWNJ, adjacent words joined, all words joined)."""
    if not value:
        return [], []
    words = _words(fold(value))
    base = _words(fold(value.replace(ZWNJ, " "))) if ZWNJ in value else words
    variants = list(base) if base is not words else []
    variants += [a + b for a, b in zip(base, base[1:], strict=False)]
    if len(base) > 2:
        variants.append("".join(base))
    return words, variants


def _email_words(email: str | None) -> list[str]:
    if not email:
        return []
    folded = fold(email)
    words = _words(folded)
    local = _words(folded.partition("@")[0])
    if len(local) > 1:
        words.append("".join(local))
    return words


def _phone_words(phone: str | None) -> list[str]:
    """E.164 digits, and for Iranian numbers the local (``0912…``) and national forms."""
    if not phone:
        return []
    folded = fold(phone)
    digits = "".join(ch for ch in folded if ch.isascii() and ch.isdigit())
    if not digits:
        return []
    if folded.startswith("+"):
        international = digits
    elif digits.startswith("00"):
        international = digits[2:]
    elif digits.startswith("0"):  # not normalised: a local number
        international = "98" + digits[1:]
    else:
        return [digits]
    if international.startswith("98") and len(international) > 2:
        national = international[2:]
        return [international, "0" + national, national]
    return [international]


def _layout(key: str, names: list[str], others: Iterable[str]) -> str:
    seen = {key, *names}
    rest = [w for w in dict.fromkeys(others) if w not in seen]
    return " ".join(part for part in (key, "|", " ".join(names), "|", *rest) if part)


def person_search_text(first_name: str | None, last_name: str | None, email: str | None,
                       phone: str | None, organization_name: str | None,
                       other_emails: Iterable[str] = (), other_phones: Iterable[str] = ()
                       ) -> str:
    """The folded text to store in ``contacts_person.search_text``.

    Pass the values as stored (normalised e-mail and E.164 phone); ``organization_name`` is
    the name of the person's organisation, if any; ``other_emails`` and ``other_phones`` the
    person's secondary e-mails and numbers (``contacts_detail``).

    >>> person_search_text("علي", "رضائي", "Ali.Rezaei@Example.ir", "+989121234567", None)
    'رضائی | علی رضائی | ali rezaei example ir alirezaei 989121234567 09121234567 9121234567'
    """
    last, last_variants = _name_words(last_name)
    first, first_variants = _name_words(first_name)
    org, org_variants = _name_words(organization_name)
    return _layout("".join(last), first + last,
                   [*last, *last_variants, *first_variants, *org, *org_variants,
                    *_email_words(email), *_phone_words(phone),
                    *(w for e in other_emails for w in _email_words(e)),
                    *(w for p in other_phones for w in _phone_words(p))])


def organization_search_text(name: str | None, email: str | None, phone: str | None,
                             other_emails: Iterable[str] = (),
                             other_phones: Iterable[str] = ()) -> str:
    """The folded text to store in ``contacts_organization.search_text`` (``other_*``: the
    secondary e-mails and numbers).

    >>> organization_search_text("نرم‌افزار آريا", "info@arya.ir", None)
    'نرمافزارآریا | نرمافزار آریا | نرم افزار افزارآریا info arya ir'
    """
    words, variants = _name_words(name)
    return _layout("".join(words), words,
                   [*variants, *_email_words(email), *_phone_words(phone),
                    *(w for e in other_emails for w in _email_words(e)),
                    *(w for p in other_phones for w in _phone_words(p))])


def parse_query(query: str) -> list[str]:
    """The words of a search query, folded like the index; ``[]`` if nothing is searchable.

    Digit groups that follow each other are one number (``۰۹۱۲ ۱۲۳`` → ``0912123``), and the
    international prefix ``00`` is dropped so ``0098912…`` finds ``+98912…``.

    >>> parse_query('  "كريمي" OR -0912 123* ')
    ['کریمی', 'or', '0912123']
    """
    words: list[str] = []
    previous_digits = False
    for word in _words(fold(query)):
        digits = word.isascii() and word.isdigit()
        if digits and previous_digits:
            words[-1] += word
        else:
            words.append(word)
        previous_digits = digits
    out = []
    for word in words:
        if word.isascii() and word.isdigit() and word.startswith("00") and len(word) > 2:
            word = word[2:]
        out.append(word[:MAX_WORD_LENGTH])
    return list(dict.fromkeys(out))[:MAX_QUERY_WORDS]


# --------------------------------------------------------------------------- writing

def is_postgres(db) -> bool:
    """Whether ``db`` (a database, or the tenant proxy that forwards to one) is PostgreSQL."""
    import peewee

    return isinstance(db.execute_sql.__self__, peewee.PostgresqlDatabase)


def _executemany(db, sql: str, rows: list) -> None:
    if rows:
        db.cursor().executemany(sql, rows)


def _has_details(db) -> bool:
    """Whether ``contacts_detail`` exists yet (migration 0004), probed in a savepoint."""
    try:
        with db.atomic():
            db.execute_sql('SELECT 1 FROM "contacts_detail" WHERE 1 = 0')
        return True
    except Exception:  # noqa: BLE001 - any database's "no such table"
        return False


def secondary_values(db, entity_key: str, ids: list[int]) -> dict[int, tuple[list, list]]:
    """``{id: (secondary e-mails, secondary phones)}`` of ``ids``, in plain SQL (500 ids a
    query); ids without any are left out."""
    out: dict[int, tuple[list, list]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        rows = db.execute_sql(
            'SELECT record_id, kind, value FROM "contacts_detail" WHERE entity = '
            f"{db.param} AND kind IN ('email', 'phone') AND record_id IN "
            f"({', '.join([db.param] * len(chunk))}) ORDER BY position, id",
            [entity_key, *chunk]).fetchall()
        for record_id, kind, value in rows:
            emails, phones = out.setdefault(record_id, ([], []))
            (emails if kind == "email" else phones).append(value)
    return out


def reindex(db, *, batch: int = 2000) -> int:
    """Fill ``search_text`` where it is missing (rows written before the column existed, or by
    a writer that did not set it, like the demo data); return how many rows were filled.

    Uses plain SQL on the named columns only, so migration 0002 can call it too (the
    secondary e-mails and phones of ``contacts_detail`` count once that table exists).
    """
    param = db.param
    jobs = (
        ('SELECT id, name, email, phone FROM "contacts_organization" '
         f"WHERE search_text IS NULL AND id > {param} ORDER BY id LIMIT {batch}",
         f'UPDATE "contacts_organization" SET search_text = {param} WHERE id = {param}',
         organization_search_text, "organization"),
        ('SELECT person.id, person.first_name, person.last_name, person.email, person.phone, '
         'org.name FROM "contacts_person" AS person LEFT JOIN "contacts_organization" AS org '
         "ON org.id = person.organization_id WHERE person.search_text IS NULL "
         f"AND person.id > {param} ORDER BY person.id LIMIT {batch}",
         f'UPDATE "contacts_person" SET search_text = {param} WHERE id = {param}',
         person_search_text, "person"),
    )
    details = _has_details(db)
    filled = 0
    for select, update, compute, key in jobs:
        last = 0
        while rows := db.execute_sql(select, (last,)).fetchall():
            extra = secondary_values(db, key, [r[0] for r in rows]) if details else {}
            _executemany(db, update, [(compute(*row[1:], *extra.get(row[0], ())), row[0])
                                      for row in rows])
            filled += len(rows)
            last = rows[-1][0]
    return filled


def refresh_people_of(organization_id: int, name: str | None) -> int:
    """Recompute the search text of an organisation's people (trashed ones too) after it was
    renamed; return how many changed. Their ``version`` is left alone: nothing they show
    changed, so nobody editing them gets a conflict."""
    from .models import Person

    db = Person._meta.database
    rows = list(Person.select(Person.id, Person.first_name, Person.last_name, Person.email,
                              Person.phone, Person.search_text)
                .where(Person.organization == organization_id).tuples())
    extra = secondary_values(db, "person", [r[0] for r in rows])
    changed = []
    for person_id, first, last, email, phone, old in rows:
        new = person_search_text(first, last, email, phone, name, *extra.get(person_id, ()))
        if new != old:
            changed.append((new, person_id))
    _executemany(db, f'UPDATE "contacts_person" SET search_text = {db.param} WHERE id = '
                     f"{db.param}", changed)
    return len(changed)


# --------------------------------------------------------------------------- searching

#: Scores of the ranking tiers (see the module docstring).
EXACT, PREFIX, PHRASE, OTHER = 4.0, 3.0, 2.0, 1.0

# The words of search_text as PostgreSQL indexes them; the query must repeat the index's
# expression exactly for the planner to use the index.
PG_WORDS = "array_to_tsvector(array_remove(string_to_array(search_text, ' '), ''))"
#: PostgreSQL ranks at most this many matches of a query (the first the index yields): exact
#: below, a bound on the cost above (a word in 8% of 1M people took 0.3-1.6 s to rank fully).
PG_CANDIDATES = 10_000
# The first word (an organisation's name or a person's last name, words joined).
_PG_KEY = "split_part(ltrim(search_text, '| '), ' ', 1)"
# The same on SQLite; migration 0007 indexes this very expression (the query must repeat it).
_SQLITE_TEXT = '"t1"."search_text"'
_SQLITE_KEY = (f"substr(ltrim({_SQLITE_TEXT}, '| '), 1, "
               f"instr(ltrim({_SQLITE_TEXT}, '| ') || ' ', ' ') - 1)")


def _fts5_string(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def _tsquery(words: list[str]) -> str:
    quoted = ("'" + w.replace("\\", "\\\\").replace("'", "''") + "':*" for w in words)
    return " & ".join(quoted)


def _rows(model, index_model, entity_id: str, columns: list, words: list[str], limit: int):
    """``(columns..., score)`` of the best ``limit`` live rows of ``model`` the actor may read,
    best first, ties by id."""
    from peewee import SQL

    from peyvand_sdk import restrict

    db = model._meta.database
    if is_postgres(db):
        # PostgreSQL: the GIN index yields its matches unordered, so the (at most
        # PG_CANDIDATES) candidates are fetched, then ranked. Restricted before the cap.
        candidates = (model.select(*columns, model.search_text)
                      .where(SQL(f"{PG_WORDS} @@ %s::tsquery", [_tsquery(words)]),
                             model.deleted_at.is_null()))
        sql, params = restrict(candidates, entity_id).limit(PG_CANDIDATES).sql()
        joined, spaced = "".join(words), " ".join(words)
        score = (f"CASE WHEN {_PG_KEY} = %s THEN {EXACT} "
                 f"WHEN starts_with({_PG_KEY}, %s) THEN {PREFIX} ")
        score_params = [joined, joined]
        if len(words) > 1:
            score += f"WHEN strpos(' ' || replace(search_text, '| ', ''), %s) > 0 THEN {PHRASE} "
            score_params.append(" " + spaced)
        names = ", ".join(f'"{column.column_name}"' for column in columns)
        sql = (f"SELECT {names}, ({score}ELSE {OTHER} END)::float8 AS score FROM ({sql}) AS c "
               f"ORDER BY score DESC, CASE WHEN starts_with({_PG_KEY}, %s) THEN {_PG_KEY} END "
               'COLLATE "C", id LIMIT %s')
        return db.execute_sql(sql, [*score_params, *params, joined, limit]).fetchall()

    rows: list = []
    for query in _sqlite_tiers(model, index_model, entity_id, columns, words):
        rows.extend(query.limit(limit - len(rows)).tuples())
        if len(rows) >= limit:
            break
    return rows


def _sqlite_tiers(model, index_model, entity_id: str, columns: list, words: list[str]):
    """SQLite: one query per ranking tier, best tier first, restricted to what the actor may
    read; the caller runs them in turn until it has ``limit`` rows.

    The key tiers (exact, prefix) read the B-tree index of the key (migration 0007), the
    prefix tier in key order, so a word that matches nobody's key costs nothing there. The
    phrase and other tiers read FTS5 in rowid order and stop at ``limit``; they test the phrase
    and "not a key match" on the row. FTS5 expands a prefix its prefix indexes (2 and 3
    characters) do not cover into the doclists of every matching term before yielding a row
    (20 ms for a word in 65,000 of 1M people), so a single-word query reads FTS5 once, not
    once per tier."""
    from peewee import SQL, Value

    from peyvand_sdk import restrict

    joined, spaced = "".join(words), " ".join(words)
    every = " AND ".join(_fts5_string(w) + "*" for w in words)
    key_end = joined + "\U0010ffff"
    has_words = [SQL(f"instr(' ' || {_SQLITE_TEXT}, ?) > 0", [" " + w]) for w in words]
    phrase = SQL(f"instr(' ' || replace({_SQLITE_TEXT}, '| ', ''), ?) > 0", [" " + spaced])
    fts = index_model.alias("fts")
    table = model._meta.table_name
    by_key = SQL(f'"{table}" AS "t1" INDEXED BY "{table}_search_key"')

    def tier(score, *conditions, order=(model.id,), text=False):
        query = model.select(*columns, Value(score).alias("score"))
        if not text:  # else the planner may prefer the index of deleted_at, owner or team
            query = query.from_(by_key)
        else:
            query = query.join(fts, on=(fts.rowid == model.id)).where(
                SQL('"fts"."search_text" MATCH ?', [every]),
                SQL(f"NOT ({_SQLITE_KEY} >= ? AND {_SQLITE_KEY} < ?)", [joined, key_end]))
        query = query.where(model.deleted_at.is_null(), *conditions)
        return restrict(query, entity_id).order_by(*order)

    yield tier(EXACT, SQL(f"{_SQLITE_KEY} = ?", [joined]), *has_words)
    yield tier(PREFIX, SQL(f"{_SQLITE_KEY} > ? AND {_SQLITE_KEY} < ?", [joined, key_end]),
               *has_words, order=(SQL(_SQLITE_KEY), model.id))
    if len(words) > 1:
        yield tier(PHRASE, phrase, order=(fts.rowid,), text=True)
        yield tier(OTHER, ~phrase, order=(fts.rowid,), text=True)
    else:
        yield tier(OTHER, order=(fts.rowid,), text=True)


#: With fields hidden from the user, this many times ``limit`` candidates are read, so hits
#: that matched only through a hidden field can be dropped and the page still fills.
HIDDEN_OVERFETCH = 5


def _visible_others(key: str, hidden, ids) -> dict[int, tuple[list, list]]:
    """Secondary e-mails and phones of ``ids`` that the user may see (``emails``/``phones``
    follow ``email``/``phone``'s field rules)."""
    if not ids or ("emails" in hidden and "phones" in hidden):
        return {}
    from .models import Person

    found = secondary_values(Person._meta.database, key, list(ids))
    return {i: ([] if "emails" in hidden else emails, [] if "phones" in hidden else phones)
            for i, (emails, phones) in found.items()}


def _matches_visible(words: list[str], text: str) -> bool:
    """Whether every query word starts one of the words of ``text`` (a search text)."""
    tokens = text.split()
    return all(any(token.startswith(word) for token in tokens) for word in words)


def search(query: str, limit: int) -> list[dict]:
    """The ``search`` hook: people and organisations matching ``query``, at most ``limit`` of
    each, as hits ``{"entity", "id", "title", "subtitle", "score"}``.

    Field rules apply to the match as well as to the hit: a field hidden from the user neither
    shows in a hit nor makes a record match (searching for an e-mail address a role may not see
    must not tell whether somebody has it)."""
    from peyvand_sdk import hidden_fields, restrict

    from .models import Organization, OrganizationSearchIndex, Person, PersonSearchIndex

    words = parse_query(query)
    if not words or limit < 1:
        return []
    hidden_person = hidden_fields("contacts.person")
    hidden_org = hidden_fields("contacts.organization")

    def visible(hidden, **values):
        return {k: (None if k in hidden else v) for k, v in values.items()}

    def shown(hidden, **values):
        """The first value the user's roles do not hide (field rules apply to hits too), and
        the field it is (``subtitle_field``: the pages show it as that field is shown)."""
        found = next(((k, v) for k, v in values.items() if v and k not in hidden), None)
        if found is None:
            return {"subtitle": None}
        key, value = found
        return {"subtitle": value,
                **({"subtitle_field": key} if key in ("email", "phone", "city") else {})}

    hits = []
    fetch = limit * HIDDEN_OVERFETCH if hidden_person else limit
    people = _rows(Person, PersonSearchIndex, "contacts.person",
                   [Person.id, Person.first_name, Person.last_name, Person.email, Person.phone,
                    Person.organization], words, fetch)
    org_ids = {org for *_, org, _ in people if org}
    org_names = {}
    if org_ids:
        named = Organization.select(Organization.id, Organization.name).where(
            Organization.id.in_(sorted(org_ids)))
        org_names = dict(restrict(named, "contacts.organization").tuples())
    others = _visible_others("person", hidden_person, [r[0] for r in people]) \
        if hidden_person else {}
    for person_id, first, last, email, phone, org, score in people:
        seen = visible(hidden_person, first_name=first, last_name=last, email=email,
                       phone=phone, organization_id=org_names.get(org))
        if hidden_person and not _matches_visible(words, person_search_text(
                *seen.values(), *others.get(person_id, ()))):
            continue
        if len(hits) == limit:
            break
        hits.append({"entity": "contacts.person", "id": person_id,
                     "title": " ".join(n for n in (seen["first_name"], seen["last_name"]) if n)
                     or f"#{person_id}",
                     **shown(hidden_person, email=email, phone=phone,
                             organization_id=org_names.get(org)),
                     "score": float(score)})
    fetch = limit * HIDDEN_OVERFETCH if hidden_org else limit
    organizations = _rows(Organization, OrganizationSearchIndex, "contacts.organization",
                          [Organization.id, Organization.name, Organization.email,
                           Organization.phone, Organization.city], words, fetch)
    count = 0
    others = _visible_others("organization", hidden_org, [r[0] for r in organizations]) \
        if hidden_org else {}
    for org_id, name, email, phone, city, score in organizations:
        seen = visible(hidden_org, name=name, email=email, phone=phone)
        if hidden_org and not _matches_visible(words, organization_search_text(
                *seen.values(), *others.get(org_id, ()))):
            continue
        if count == limit:
            break
        count += 1
        hits.append({"entity": "contacts.organization", "id": org_id,
                     "title": seen["name"] or f"#{org_id}",
                     **shown(hidden_org, email=email, phone=phone, city=city),
                     "score": float(score)})
    return hits
