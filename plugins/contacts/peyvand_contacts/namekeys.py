"""Folded name keys, stored in ``name_key`` (indexed) so likely duplicates are found by
grouping rows on the key, never by comparing every pair.

A person's key is ``fold(last_name) + "\\x1f" + fold(first_name)`` (the import's name rule
compares the same two folded parts; last name first, so that sorting by the key puts
similar surnames side by side for the fuzzy comparison); an organisation's is
``fold(name)``, the key the import finds organisations by. Every writer keeps it: the API
(``cleaning.clean``), the import, merge and undo; :func:`fill_missing` fills rows written
without it (demo data, a bulk load).
"""

from __future__ import annotations

from .text import fold

SEPARATOR = "\x1f"
_LIMIT = 210


def person_name_key(first_name: str | None, last_name: str | None) -> str:
    return f"{fold(last_name or '')}{SEPARATOR}{fold(first_name or '')}"[:_LIMIT]


def organization_name_key(name: str | None) -> str:
    return fold(name or "")[:_LIMIT]


def display(key: str) -> str:
    """A person's key as readable text: ``first last``."""
    last, _, first = key.partition(SEPARATOR)
    return f"{first} {last}".strip()


def fill_missing(db, *, batch: int = 2000) -> int:
    """Compute ``name_key`` where it is missing; return how many rows were filled."""
    p = db.param
    done = 0
    for table, columns, key in (
            ("contacts_person", "first_name, last_name",
             lambda first, last: person_name_key(first, last)),
            ("contacts_organization", "name", organization_name_key)):
        while True:
            rows = db.execute_sql(f'SELECT id, {columns} FROM "{table}" WHERE name_key IS NULL '
                                  f"LIMIT {batch}").fetchall()
            if not rows:
                break
            cursor = db.cursor()
            try:
                cursor.executemany(f'UPDATE "{table}" SET name_key = {p} WHERE id = {p}',
                                   [(key(*row[1:]), row[0]) for row in rows])
            finally:
                cursor.close()
            done += len(rows)
    return done


def set_name_key(entity_id: str, record, changes: dict) -> None:
    """Before a write through the API: recompute ``record.name_key`` when a name changed (or
    it has none), and list it in ``changes`` so that an update writes the column."""
    if entity_id == "contacts.person":
        if record.name_key is not None and not ({"first_name", "last_name"} & set(changes)):
            return
        key = person_name_key(record.first_name, record.last_name)
    elif entity_id == "contacts.organization":
        if record.name_key is not None and "name" not in changes:
            return
        key = organization_name_key(record.name)
    else:
        return
    if key != record.name_key:
        changes["name_key"] = (record.name_key, key)
        record.name_key = key
