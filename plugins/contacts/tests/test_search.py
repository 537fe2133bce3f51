"""Global search over people and organisations, through the real API (issue #7).

Every test runs on SQLite (FTS5) and, with ``PEYVAND_TEST_DATABASE_URL``, on PostgreSQL (GIN):
both must answer the same hits in the same order.
"""

import doctest

import pytest

from peyvand_contacts import search as search_module
from peyvand_contacts.search import parse_query, person_search_text

pytestmark = pytest.mark.peyvand_plugins("contacts")

PERSON, ORGANIZATION = "contacts.person", "contacts.organization"


def create(client, plural, **fields):
    response = client.post(f"/api/v1/contacts/{plural}", json=fields)
    assert response.status_code == 201, response.json
    return response.json["id"]


def person(client, **fields):
    return create(client, "persons", **fields)


def organization(client, **fields):
    return create(client, "organizations", **fields)


def search(client, query, limit=None):
    params = {"q": query} if limit is None else {"q": query, "limit": limit}
    response = client.get("/api/v1/search", query_string=params)
    assert response.status_code == 200, response.json
    return response.json["data"]


def found(client, query, entity=PERSON):
    return [hit["id"] for hit in search(client, query) if hit["entity"] == entity]


# --------------------------------------------------------------------------- letter forms

def test_persian_letters_found_by_arabic_letters_and_back(peyvand_client):
    persian = person(peyvand_client, first_name="علی", last_name="کریمی")
    arabic = person(peyvand_client, first_name="رضا", last_name="يكتايي")
    teh = person(peyvand_client, first_name="فاطمة", last_name="موسوی")
    assert found(peyvand_client, "كريمي") == [persian]
    assert found(peyvand_client, "کریمی") == [persian]
    assert found(peyvand_client, "یکتایی") == [arabic]
    assert found(peyvand_client, "يكتايي") == [arabic]
    assert found(peyvand_client, "فاطمه") == [teh]


def test_zwnj_space_or_nothing_between_the_parts_of_a_name(peyvand_client):
    zwnj = person(peyvand_client, first_name="محمد", last_name="حسن\u200cزاده")
    space = person(peyvand_client, first_name="زهرا", last_name="تقی زاده")
    for typed in ("حسن\u200cزاده", "حسنزاده", "حسن زاده"):
        assert found(peyvand_client, typed) == [zwnj], typed
    for typed in ("تقی\u200cزاده", "تقیزاده", "تقی زاده"):
        assert found(peyvand_client, typed) == [space], typed


# --------------------------------------------------------------------------- phones, e-mails

def test_phone_stored_as_e164_is_found_however_its_digits_are_typed(peyvand_client):
    ali = person(peyvand_client, last_name="رضایی", phone="0912 123 4567")
    person(peyvand_client, last_name="Other", phone="09351112233")
    for typed in ("۰۹۱۲۱۲۳۴۵۶۷", "٠٩١٢١٢٣", "0912", "0912 123", "0912-123-45", "+98 912 123",
                  "+989121234567", "0098912123", "912 1234"):
        assert found(peyvand_client, typed) == [ali], typed
    assert found(peyvand_client, "1234567") == []   # a number is searched from its start


def test_email_by_its_local_part_or_whole(peyvand_client):
    sara = person(peyvand_client, first_name="Sara", last_name="Miller",
                  email="  Sara.Miller@Example.COM ")
    person(peyvand_client, last_name="Other", email="someone@example.org")
    for typed in ("sara.mil", "sara.miller@example.com", "saramiller", "SARA.MILLER@"):
        assert found(peyvand_client, typed) == [sara], typed
    hit = search(peyvand_client, "sara.miller")[0]
    assert hit == {"entity": PERSON, "id": sara, "title": "Sara Miller",
                   "subtitle": "sara.miller@example.com", "subtitle_field": "email",
                   "score": hit["score"]}


def test_organisation_by_its_name_and_its_people_too(peyvand_client):
    novin = organization(peyvand_client, name="بازرگانی نوین پارس", city="تهران")
    ali = person(peyvand_client, first_name="علی", last_name="رضایی", organization_id=novin)
    hits = search(peyvand_client, "نوين پارس")
    assert [(h["entity"], h["id"]) for h in hits] == [(ORGANIZATION, novin), (PERSON, ali)]
    assert hits[0]["title"] == "بازرگانی نوین پارس" and hits[0]["subtitle"] == "تهران"
    assert hits[1]["subtitle"] == "بازرگانی نوین پارس"   # no e-mail or phone: the organisation


# --------------------------------------------------------------------------- keeping it right

def test_deleted_record_leaves_search_and_comes_back_when_restored(peyvand_client):
    ali = person(peyvand_client, last_name="کاظمی")
    assert found(peyvand_client, "کاظمی") == [ali]
    assert peyvand_client.delete(f"/api/v1/contacts/persons/{ali}").status_code == 204
    assert found(peyvand_client, "کاظمی") == []
    restored = peyvand_client.post(f"/api/v1/contacts/persons/{ali}/restore")
    assert restored.status_code == 200, restored.json
    assert found(peyvand_client, "کاظمی") == [ali]


def test_update_reindexes_the_record(peyvand_client):
    ali = person(peyvand_client, first_name="Ali", last_name="Karimi", phone="09121234567")
    response = peyvand_client.patch(f"/api/v1/contacts/persons/{ali}",
                                    json={"last_name": "Jafari", "phone": "09351112233"})
    assert response.status_code == 200, response.json
    assert found(peyvand_client, "karimi") == [] and found(peyvand_client, "0912") == []
    assert found(peyvand_client, "jafari") == [ali] and found(peyvand_client, "0935") == [ali]
    # An edit of a field search does not look at leaves it as it was.
    response = peyvand_client.patch(f"/api/v1/contacts/persons/{ali}", json={"city": "Tabriz"})
    assert response.status_code == 200 and found(peyvand_client, "jafari") == [ali]


def test_organisation_rename_reaches_its_people(peyvand_client):
    arya = organization(peyvand_client, name="نرم‌افزار آریا")
    negar = person(peyvand_client, first_name="نگار", last_name="حسینی", organization_id=arya)
    person(peyvand_client, last_name="Elsewhere")
    assert found(peyvand_client, "آریا") == [negar]
    version = peyvand_client.get(f"/api/v1/contacts/persons/{negar}").json["version"]
    response = peyvand_client.patch(f"/api/v1/contacts/organizations/{arya}",
                                    json={"name": "داده‌پردازان سپهر"})
    assert response.status_code == 200, response.json
    assert found(peyvand_client, "آریا") == [] and found(peyvand_client, "آریا", ORGANIZATION) == []
    assert found(peyvand_client, "سپهر") == [negar]
    assert found(peyvand_client, "داده پردازان") == [negar]
    # Derived data only: the person's version (its ETag) did not move.
    assert peyvand_client.get(f"/api/v1/contacts/persons/{negar}").json["version"] == version


def test_moving_a_person_to_another_organisation_reindexes_it(peyvand_client):
    first = organization(peyvand_client, name="Atlas Systems")
    second = organization(peyvand_client, name="Orion Labs")
    john = person(peyvand_client, first_name="John", last_name="Smith", organization_id=first)
    assert found(peyvand_client, "atlas") == [john]
    peyvand_client.patch(f"/api/v1/contacts/persons/{john}", json={"organization_id": second})
    assert found(peyvand_client, "atlas") == [] and found(peyvand_client, "orion") == [john]


def test_search_text_never_reaches_the_api(peyvand_client):
    ali = person(peyvand_client, last_name="Karimi")
    assert "search_text" not in peyvand_client.get(f"/api/v1/contacts/persons/{ali}").json
    assert "search_text" not in peyvand_client.get("/api/v1/contacts/persons").json["data"][0]
    listed = peyvand_client.get("/api/v1/contacts/persons?search_text=karimi")
    assert listed.status_code == 422
    written = peyvand_client.patch(f"/api/v1/contacts/persons/{ali}",
                                   json={"search_text": "hijacked"})
    assert written.status_code == 422 and found(peyvand_client, "hijacked") == []


def test_any_writer_that_sets_search_text_is_searchable(peyvand_app, peyvand_client):
    """The index follows the column (triggers on SQLite, the index itself on PostgreSQL)."""
    from peyvand_contacts.models import Person
    from peyvand_contacts.search import reindex

    kernel = peyvand_app.extensions["peyvand"]
    with kernel.storage.bound("default") as db:
        raw = Person.insert(last_name="Raw", first_name="Writer",
                            search_text=person_search_text("Writer", "Raw", None, None,
                                                           None)).execute()
        bare = Person.insert(last_name="Bare").execute()   # written without search text
    assert found(peyvand_client, "raw") == [raw]
    assert found(peyvand_client, "bare") == []
    with kernel.storage.bound("default") as db:
        assert reindex(db) == 1
        Person.update(search_text=person_search_text(None, "Renamed", None, None, None)).where(
            Person.id == raw).execute()
        Person.delete().where(Person.id == bare).execute()   # a hard delete
    assert found(peyvand_client, "bare") == [] and found(peyvand_client, "raw") == []
    assert found(peyvand_client, "renamed") == [raw]


def test_demo_data_is_searchable(peyvand_app, peyvand_client):
    kernel = peyvand_app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        kernel.hooks("default").load_demo_data(tenant="default", plugins=["contacts"])
    hits = search(peyvand_client, "رضايي")
    assert [h["title"] for h in hits] == ["علی رضایی"]
    assert found(peyvand_client, "novin", ORGANIZATION)


def test_migration_fills_search_text_of_existing_rows(peyvand_app, peyvand_client):
    kernel = peyvand_app.extensions["peyvand"]
    runner = kernel.migrations("contacts", "default").runner
    with kernel.storage.bound("default") as db:
        assert "0002_search" in runner.down("0002_search")
        columns = [c.name for c in db.get_columns("contacts_person")]
        assert "search_text" not in columns
        db.execute_sql('INSERT INTO "contacts_organization" (name, version, created_at, '
                       "updated_at) VALUES ('صنایع غذایی مهرگان', 1, '2025-01-01', '2025-01-01')")
        org = db.execute_sql('SELECT id FROM "contacts_organization"').fetchone()[0]
        db.execute_sql('INSERT INTO "contacts_person" (last_name, phone, organization_id, '
                       "lifecycle_stage, consent_email, consent_sms, version, created_at, "
                       f"updated_at) VALUES ('احمدی', '+989351112233', {org}, 'lead', "
                       "false, false, 1, '2025-01-01', '2025-01-01')")
        applied = runner.up()
        assert applied[:2] == ["0002_search", "0003_import_batches"]  # and later steps
        assert "0007_search_key" in applied
    assert found(peyvand_client, "احمدي") and found(peyvand_client, "۰۹۳۵")
    assert found(peyvand_client, "مهرگان") and found(peyvand_client, "مهرگان", ORGANIZATION)


def test_purge_drops_the_search_index_and_enabling_again_rebuilds_it(peyvand_app,
                                                                     peyvand_client):
    person(peyvand_client, last_name="Karimi")
    kernel = peyvand_app.extensions["peyvand"]
    kernel.disable("contacts")
    dropped = {table for table, _ in kernel.purge("contacts")}
    db = kernel.storage.database_for("default")
    assert {"contacts_person", "contacts_organization"} <= dropped
    assert not [t for t in db.get_tables() if t.startswith("contacts_")]
    kernel.enable("contacts")
    assert found(peyvand_client, "karimi") == []
    again = person(peyvand_client, last_name="Karimi")
    assert found(peyvand_client, "karimi") == [again]


@pytest.mark.sqlite_only
def test_fts5_index_matches_its_tables_after_every_kind_of_write(peyvand_app, peyvand_client):
    org = organization(peyvand_client, name="Atlas Systems", phone="02188776655")
    ali = person(peyvand_client, first_name="Ali", last_name="Karimi", organization_id=org)
    person(peyvand_client, last_name="Jafari")
    peyvand_client.patch(f"/api/v1/contacts/persons/{ali}", json={"last_name": "Rahimi"})
    peyvand_client.patch(f"/api/v1/contacts/organizations/{org}", json={"name": "Orion"})
    peyvand_client.delete(f"/api/v1/contacts/persons/{ali}")
    peyvand_client.post(f"/api/v1/contacts/persons/{ali}/restore")
    kernel = peyvand_app.extensions["peyvand"]
    with kernel.storage.bound("default") as db:
        db.execute_sql("DELETE FROM contacts_person WHERE last_name = 'Jafari'")
        for table in ("contacts_person_fts", "contacts_organization_fts"):
            # FTS5 compares its index with the content table and raises if they differ.
            db.execute_sql(f"INSERT INTO {table} ({table}, rank) VALUES ('integrity-check', 1)")
    assert found(peyvand_client, "orion") == [ali] and found(peyvand_client, "jafari") == []


@pytest.mark.postgres_only
def test_postgres_search_can_use_the_gin_index(peyvand_app):
    """The query must repeat the index's expression exactly, or every search scans the table."""
    from peyvand_contacts.search import PG_WORDS

    kernel = peyvand_app.extensions["peyvand"]
    required = {"contacts_person": ("last_name, lifecycle_stage, consent_email, consent_sms",
                                    "'n', 'lead', false, false"),
                "contacts_organization": ("name", "'n'")}
    with kernel.storage.bound("default") as db, db.atomic():
        for table, (columns, values) in required.items():
            db.execute_sql(f"INSERT INTO {table} ({columns}, search_text, version, created_at, "
                           f"updated_at) SELECT {values}, 'k' || g || ' | w' || g, 1, now(), "
                           "now() FROM generate_series(1, 50000) AS g")
            db.execute_sql(f"ANALYZE {table}")
        db.execute_sql("SET LOCAL enable_seqscan = off")
        for table in required:
            plan = db.execute_sql(f"EXPLAIN SELECT id FROM {table} WHERE {PG_WORDS} @@ "
                                  "%s::tsquery AND deleted_at IS NULL", ("'w123':*",)).fetchall()
            assert f"{table}_search" in " ".join(row[0] for row in plan)


@pytest.mark.sqlite_only
@pytest.mark.parametrize("role", ["admin", "salesperson"])
def test_sqlite_key_tiers_read_the_key_index_whatever_the_scope(peyvand_app, peyvand_login,
                                                               role):
    """The exact and prefix tiers must read the key index (migration 0007): left to itself the
    planner preferred the index of deleted_at (or of a scope's owner/team) and sorted every
    row it found — a second per search at 1M people."""
    from peyvand.access import acting_as
    from peyvand.identity import get_user
    from peyvand_contacts.models import Person, PersonSearchIndex

    peyvand_login(role)
    kernel = peyvand_app.extensions["peyvand"]
    with kernel.storage.bound("default") as db:
        with acting_as(kernel.actor_for(get_user(f"{role}1"))):
            tiers = list(search_module._sqlite_tiers(
                Person, PersonSearchIndex, PERSON, [Person.id], ["رضا", "کر"]))
            plans = []
            for query in tiers:
                sql, params = query.limit(20).sql()
                plans.append(" ".join(str(row[-1]) for row in db.execute_sql(
                    "EXPLAIN QUERY PLAN " + sql, params).fetchall()))
    assert len(plans) == 4
    for plan in plans[:2]:
        assert "USING INDEX contacts_person_search_key" in plan and "TEMP B-TREE" not in plan
    for plan in plans[2:]:
        assert "SCAN fts VIRTUAL TABLE" in plan and "TEMP B-TREE" not in plan


def test_prefix_tier_takes_the_first_keys_in_alphabetical_order(peyvand_client):
    """With more last names starting with the query than the limit, the prefix tier keeps the
    alphabetically first (both databases: code point order), then hits are shown by id."""
    later = person(peyvand_client, last_name="رضاییان")      # ی U+06CC
    middle = person(peyvand_client, last_name="رضاپور")      # پ U+067E
    first = person(peyvand_client, last_name="رضائی")        # ئ U+0626
    hits = search(peyvand_client, "رضا", limit=2)
    assert [h["id"] for h in hits] == [middle, first]
    assert later not in [h["id"] for h in search(peyvand_client, "رضا", limit=2)]
    assert [h["id"] for h in search(peyvand_client, "رضا", limit=3)] == [later, middle, first]


# --------------------------------------------------------------------------- queries

@pytest.mark.parametrize("query", ['"', "*", "OR", "-", "NOT", "AND", "NEAR(", "^", "a OR b",
                                   "-karimi", '"karimi', "karimi*", "kar*imi", "(karimi",
                                   "'; DROP TABLE contacts_person; --", "\\", "%", "_", ":",
                                   "{search_text}: x", "x & !y | z:*", "ع" * 500,
                                   " ".join(["karimi"] * 50)])
def test_hostile_queries_answer_200(peyvand_client, query):
    person(peyvand_client, last_name="Karimi")
    response = peyvand_client.get("/api/v1/search", query_string={"q": query})
    assert response.status_code == 200, response.json
    assert isinstance(response.json["data"], list)


def test_quotes_and_operators_are_searched_as_text(peyvand_client):
    karimi = person(peyvand_client, first_name="Or", last_name="Karimi")
    assert found(peyvand_client, '"karimi"') == [karimi]
    assert found(peyvand_client, "karimi*") == [karimi]
    assert found(peyvand_client, "-karimi") == [karimi]
    assert found(peyvand_client, "OR karimi") == [karimi]   # "or" is a word, not an operator
    assert found(peyvand_client, "karimi OR jafari") == []


def test_ranking_exact_then_prefix_on_last_name_and_deterministic(peyvand_client):
    first_name = person(peyvand_client, first_name="رضا", last_name="کریمی")
    email = person(peyvand_client, last_name="Other", email="rezaei.a@example.com")
    longer = person(peyvand_client, first_name="علی", last_name="رضاییان")
    exact_1 = person(peyvand_client, first_name="مریم", last_name="رضایی")
    exact_2 = person(peyvand_client, first_name="علی", last_name="رضائي")
    hits = search(peyvand_client, "رضایی")
    assert [h["id"] for h in hits] == [exact_1, longer]
    assert [h["score"] for h in hits] == [4.0, 3.0]
    assert found(peyvand_client, "رضائی") == [exact_2]   # hamza seat is a different letter
    # Last name starting with the query first, then every other match, each by id.
    assert found(peyvand_client, "رضا") == [longer, exact_1, exact_2, first_name]
    # First and last name typed in order beat a match elsewhere.
    assert found(peyvand_client, "علی رض") == [longer, exact_2]
    assert found(peyvand_client, "rezaei") == [email]
    for _ in range(3):
        assert search(peyvand_client, "رضا") == search(peyvand_client, "رضا")


def test_limit_applies_to_hits(peyvand_client):
    made = [person(peyvand_client, last_name="Karimi", first_name=f"N{i}") for i in range(5)]
    organization(peyvand_client, name="Karimi Trading")
    hits = search(peyvand_client, "karimi", limit=3)
    assert [(h["entity"], h["id"], h["score"]) for h in hits] == [
        (PERSON, i, 4.0) for i in made[:3]]
    hits = search(peyvand_client, "karimi", limit=100)
    assert [h["entity"] for h in hits] == [PERSON] * 5 + [ORGANIZATION]


def test_search_respects_record_scopes(peyvand_client, peyvand_login):
    mine_client = peyvand_login("salesperson")
    theirs = person(peyvand_client, last_name="Karimi", first_name="Theirs")
    mine = create(mine_client, "persons", last_name="Karimi", first_name="Mine")
    assert found(peyvand_client, "karimi") == [theirs, mine]
    assert found(mine_client, "karimi") == [mine]


# --------------------------------------------------------------------------- text functions

def test_query_words_are_folded_like_the_index():
    assert parse_query("  علي‌رضا  ۰۹۱۲ ١٢٣ ") == ["علیرضا", "0912123"]
    assert parse_query("+98 (912) 123-45") == ["9891212345"]
    assert parse_query('"*-" OR') == ["or"]
    assert parse_query("") == [] and parse_query("-*\"'") == []
    assert len(parse_query(" ".join(f"w{i}" for i in range(30)))) == search_module.MAX_QUERY_WORDS


def test_search_text_layout_and_examples():
    assert doctest.testmod(search_module).failed == 0
    text = person_search_text("علی‌رضا", "حسینی نژاد", "a.b@c.ir", "+989121234567", "آریا")
    key, names, rest = text.split(" | ")
    assert key == "حسینینژاد" and names == "علیرضا حسینی نژاد"
    assert {"علی", "رضا", "آریا", "ab", "989121234567", "09121234567", "9121234567"} <= set(
        rest.split())


def test_hits_never_show_a_field_the_role_hides(peyvand_client, peyvand_login):
    peyvand_client.put("/api/v1/roles", json={"format": "peyvand.roles/1", "roles": [
        {"key": "readonly", "grants": {"contacts.person.read": "all",
                                       "contacts.organization.read": "all"},
         "field_rules": {"contacts.person": {"email": "hidden", "phone": "hidden"}}}]})
    peyvand_client.post("/api/v1/contacts/persons", json={
        "first_name": "پنهان", "last_name": "هویدا", "email": "secret@example.ir",
        "phone": "09121112233"})
    admin_hit = peyvand_client.get("/api/v1/search?q=هویدا").json["data"][0]
    assert admin_hit["subtitle"] == "secret@example.ir"
    reader_hit = peyvand_login("readonly").get("/api/v1/search?q=هویدا").json["data"][0]
    assert reader_hit["title"] == "پنهان هویدا"
    assert reader_hit["subtitle"] is None


def test_a_hidden_field_does_not_make_a_record_match(peyvand_client, peyvand_login):
    """Searching for a value the role may not see must not reveal who has it."""
    peyvand_client.put("/api/v1/roles", json={"format": "peyvand.roles/1", "roles": [
        {"key": "readonly", "grants": {"contacts.person.read": "all",
                                       "contacts.organization.read": "all"},
         "field_rules": {"contacts.person": {"email": "hidden", "phone": "hidden"},
                         "contacts.organization": {"phone": "hidden"}}}]})
    secret = person(peyvand_client, first_name="Sara", last_name="Secret",
                    email="hidden.box@example.ir", phone="09125556677")
    org = organization(peyvand_client, name="Quiet Co", phone="02188776655")
    reader = peyvand_login("readonly")
    assert found(peyvand_client, "hidden.box") == [secret]
    assert found(reader, "hidden.box") == []
    assert found(reader, "0912555") == []
    assert found(reader, "Secret") == [secret]            # visible fields still match
    assert found(reader, "Sara hidden") == []              # every word must match a visible one
    assert found(peyvand_client, "021887", ORGANIZATION) == [org]
    assert found(reader, "021887", ORGANIZATION) == []
    assert found(reader, "Quiet", ORGANIZATION) == [org]


def test_hidden_field_matches_do_not_shrink_the_page(peyvand_client, peyvand_login):
    peyvand_client.put("/api/v1/roles", json={"format": "peyvand.roles/1", "roles": [
        {"key": "readonly", "grants": {"contacts.person.read": "all"},
         "field_rules": {"contacts.person": {"email": "hidden"}}}]})
    for i in range(3):   # lower ids, matching only by their hidden e-mail
        person(peyvand_client, last_name=f"Other{i}", email=f"karimi{i}@example.ir")
    shown = [person(peyvand_client, first_name="Karimi", last_name=f"N{i}") for i in range(3)]
    hits = [h["id"] for h in search(peyvand_login("readonly"), "karimi", limit=3)]
    assert hits == shown
