"""Tables of the contacts plugin (prefixed ``contacts_``)."""

import peewee
from playhouse.sqlite_ext import FTS5Model, SearchField

from peyvand_sdk import Model, RecordModel, tenant_db


class Organization(RecordModel):
    name = peewee.CharField(max_length=200)
    national_id = peewee.CharField(max_length=11, null=True, index=True)   # شناسه ملی
    economic_code = peewee.CharField(max_length=14, null=True)              # کد اقتصادی
    email = peewee.CharField(max_length=254, null=True, index=True)
    phone = peewee.CharField(max_length=20, null=True, index=True)
    website = peewee.CharField(max_length=200, null=True)
    city = peewee.CharField(max_length=100, null=True)
    address = peewee.TextField(null=True)
    postal_code = peewee.CharField(max_length=10, null=True)
    search_text = peewee.TextField(null=True)     # folded words to search; see search.py
    name_key = peewee.CharField(max_length=210, null=True)  # folded name; see duplicates.py
    # The primary e-mail, phone and address's types and the address's province (the other
    # items are Detail rows; see details.py).
    email_type = peewee.CharField(max_length=16, null=True)
    phone_type = peewee.CharField(max_length=16, null=True)
    address_type = peewee.CharField(max_length=16, null=True)
    province = peewee.CharField(max_length=100, null=True)

    class Meta:
        table_name = "contacts_organization"
        indexes = ((("name_key",), False),)


class Person(RecordModel):
    first_name = peewee.CharField(max_length=100, null=True)
    last_name = peewee.CharField(max_length=100)
    email = peewee.CharField(max_length=254, null=True, index=True)
    phone = peewee.CharField(max_length=20, null=True, index=True)
    organization = peewee.ForeignKeyField(Organization, null=True, backref="people",
                                          on_delete="SET NULL")
    job_title = peewee.CharField(max_length=100, null=True)
    national_id = peewee.CharField(max_length=10, null=True, index=True)    # کد ملی
    city = peewee.CharField(max_length=100, null=True)
    source = peewee.CharField(max_length=50, null=True)
    lifecycle_stage = peewee.CharField(max_length=20, default="lead")
    consent_email = peewee.BooleanField(default=False)
    consent_sms = peewee.BooleanField(default=False)
    search_text = peewee.TextField(null=True)     # folded words to search; see search.py
    # fold(last) + "\x1f" + fold(first): likely duplicates by name, see duplicates.py
    name_key = peewee.CharField(max_length=210, null=True)
    # The primary e-mail, phone and address (with ``city``) and their types; the other items
    # are Detail rows (see details.py). Shown through ``emails``/``phones``/``addresses``.
    email_type = peewee.CharField(max_length=16, null=True)
    phone_type = peewee.CharField(max_length=16, null=True)
    address_type = peewee.CharField(max_length=16, null=True)
    address = peewee.TextField(null=True)
    province = peewee.CharField(max_length=100, null=True)
    postal_code = peewee.CharField(max_length=10, null=True)

    class Meta:
        table_name = "contacts_person"
        indexes = ((("organization", "name_key"), False),)


class Detail(Model):
    """A contact's e-mail, phone number or address other than the primary one (which lives
    in the contact's own columns). ``entity`` is ``"person"`` or ``"organization"``; ``kind``
    ``"email"``, ``"phone"`` or ``"address"``; ``value`` the normalised e-mail or E.164 number;
    an address uses ``line``, ``city``, ``province`` and ``postal_code``."""

    id = peewee.AutoField()
    entity = peewee.CharField(max_length=20)
    record_id = peewee.IntegerField()
    kind = peewee.CharField(max_length=10)
    position = peewee.IntegerField(default=0)
    type = peewee.CharField(max_length=16, null=True)
    value = peewee.CharField(max_length=254, null=True)
    line = peewee.TextField(null=True)
    city = peewee.CharField(max_length=100, null=True)
    province = peewee.CharField(max_length=100, null=True)
    postal_code = peewee.CharField(max_length=10, null=True)

    class Meta:
        table_name = "contacts_detail"
        indexes = (
            (("entity", "record_id", "kind", "position"), False),
            (("kind", "value"), False),
        )


class Note(RecordModel):
    """Free text about a person or an organisation (after a call: with the customer's mood).
    Its owner is its author; the team sees it through the usual team scope."""

    person = peewee.ForeignKeyField(Person, null=True, backref="notes", on_delete="CASCADE")
    organization = peewee.ForeignKeyField(Organization, null=True, backref="notes",
                                          on_delete="CASCADE")
    body = peewee.TextField()
    mood = peewee.CharField(max_length=16, null=True)

    class Meta:
        table_name = "contacts_note"


# -- import history (not entities: written only by the import pipeline) ----------------------

class ImportBatch(Model):
    """One run of ``peyvand contacts import``: what it did, so it can be listed and undone."""

    id = peewee.AutoField()
    created_at = peewee.DateTimeField(index=True)
    file_name = peewee.CharField(max_length=255)
    status = peewee.CharField(max_length=16)            # "done", then "undone"
    row_count = peewee.IntegerField(default=0)          # data rows read (blank rows excluded)
    created = peewee.IntegerField(default=0)
    updated = peewee.IntegerField(default=0)
    merged = peewee.IntegerField(default=0)             # rows folded into an earlier row
    skipped = peewee.IntegerField(default=0)
    failed = peewee.IntegerField(default=0)
    user_id = peewee.IntegerField(null=True)
    user_name = peewee.CharField(max_length=150, null=True)
    undone_at = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "contacts_import_batch"


class ImportItem(Model):
    """A record an import created or updated; ``previous`` holds what an update replaced."""

    id = peewee.AutoField()
    batch = peewee.ForeignKeyField(ImportBatch, backref="items", on_delete="CASCADE")
    entity = peewee.CharField(max_length=20)            # "person" or "organization"
    record_id = peewee.IntegerField()
    action = peewee.CharField(max_length=10)            # "created" or "updated"
    version = peewee.IntegerField()                     # the record's version after the import
    previous = peewee.TextField(null=True)              # JSON {field: value before}

    class Meta:
        table_name = "contacts_import_item"


# The search index of each table (migration 0002; search.py explains it). Declared here so the
# schema check knows it by name (it compares partial and expression indexes by name only): on
# PostgreSQL it is the GIN index of the words of search_text; on SQLite the words are indexed by
# the FTS5 tables below, and the name holds the small partial index of rows that have no
# search_text yet, which search.reindex() fills.
def _search_index(model) -> peewee.Index:
    from .search import PG_WORDS

    return peewee.Index(f"{model._meta.table_name}_search", model._meta.table,
                        [peewee.SQL(PG_WORDS)], using="gin", where=model.deleted_at.is_null())


# The B-tree index of the search key (migration 0007): what the exact and prefix tiers read on
# SQLite. Declared by name only (the expression differs per database, as for the index above).
def _search_key_index(model) -> peewee.Index:
    from .search import _PG_KEY

    return peewee.Index(f"{model._meta.table_name}_search_key", model._meta.table,
                        [peewee.SQL(_PG_KEY)])


Organization.add_index(_search_index(Organization))
Person.add_index(_search_index(Person))
Organization.add_index(_search_key_index(Organization))
Person.add_index(_search_key_index(Person))


class _SearchIndex(FTS5Model):
    """SQLite only: an FTS5 table over ``search_text`` with the base table as external content,
    kept in step by triggers on the base table (created by migration 0002, not from here).
    Declared so that a purge drops it; the schema check skips virtual tables."""

    search_text = SearchField()

    class Meta:
        database = tenant_db


_FTS_OPTIONS = {"content_rowid": "id", "prefix": "2 3",
                "tokenize": "unicode61 remove_diacritics 0"}


class PersonSearchIndex(_SearchIndex):
    class Meta:
        table_name = "contacts_person_fts"
        options = {"content": "contacts_person", **_FTS_OPTIONS}


class OrganizationSearchIndex(_SearchIndex):
    class Meta:
        table_name = "contacts_organization_fts"
        options = {"content": "contacts_organization", **_FTS_OPTIONS}
