"""Merging people and organisations: field choice, lists, other plugins' rows through
``contacts_merged``, the trash, the audit trail, and undo with its conflict rule."""

import pytest

from peyvand_sdk import Manifest, hookimpl, tenant_db

PERSONS = "/api/v1/contacts/persons"
ORGS = "/api/v1/contacts/organizations"


class Linker:
    """A plugin with rows pointing at people (table ``linker_link``), re-pointed on merge."""

    manifest = Manifest(label={"en": "Linker"}, requires={"contacts": ">=0.1"})

    def __init__(self):
        self.calls = []

    @hookimpl
    def tenant_enabled(self):
        tenant_db.execute_sql('CREATE TABLE IF NOT EXISTS "linker_link" (id INTEGER PRIMARY KEY,'
                              ' person_id INTEGER, version INTEGER DEFAULT 1)')

    @hookimpl(optionalhook=True)
    def contacts_merged(self, entity, survivor_id, merged_ids):
        self.calls.append((entity, survivor_id, list(merged_ids)))
        if entity != "contacts.person":
            return []
        p = tenant_db.param
        rows = tenant_db.execute_sql(
            f'SELECT id, person_id FROM "linker_link" WHERE person_id IN '
            f"({', '.join([p] * len(merged_ids))})", list(merged_ids)).fetchall()
        for row_id, _ in rows:
            tenant_db.execute_sql(f'UPDATE "linker_link" SET person_id = {p}, version = version '
                                  f"+ 1 WHERE id = {p}", (survivor_id, row_id))
        return [{"table": "linker_link", "column": "person_id", "id": row_id, "old": old}
                for row_id, old in rows]


@pytest.fixture
def linker():
    return Linker()


@pytest.fixture
def app(peyvand_app_factory, linker):
    return peyvand_app_factory(plugins=["contacts"], extra_plugins=[("linker", linker, "1.0")])


@pytest.fixture
def client(app):
    return app.test_client()


def links(app):
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        return dict(tenant_db.execute_sql(
            'SELECT id, person_id FROM "linker_link" ORDER BY id').fetchall())


def add_link(app, link_id, person_id):
    kernel = app.extensions["peyvand"]
    db = kernel.storage.database_for("default")
    with kernel.storage.bound("default"), db.atomic():
        tenant_db.execute_sql('INSERT INTO "linker_link" (id, person_id) VALUES (?, ?)'
                              .replace("?", tenant_db.param), (link_id, person_id))


def person(client, **fields):
    response = client.post(PERSONS, json={"last_name": "x", **fields})
    assert response.status_code == 201, response.json
    return response.json["id"]


def test_merge_fields_links_trash_audit_and_undo(app, client, linker):
    assert client.post("/api/v1/custom-fields", json={
        "entity": "contacts.person", "name": "tier", "type": "text",
        "label": {"en": "Tier", "fa": "سطح"}}).status_code == 201
    a = person(client, first_name="علی", last_name="کریمی", email="ali@x.ir", cf_tier="gold")
    b = person(client, first_name="Ali", last_name="Karimi", phone="09121234567",
               job_title="مدیر", email="ali.k@x.ir", cf_tier="silver")
    c = person(client, last_name="K", city="تهران", job_title="کارشناس")
    add_link(app, 1, b)
    add_link(app, 2, c)
    add_link(app, 3, a)
    response = client.post(f"{PERSONS}/merge", json={
        "survivor": a, "merged": [b, c], "fields": {"last_name": b, "cf_tier": b}})
    assert response.status_code == 201, response.json
    merged = response.json
    survivor = merged["survivor"]
    assert survivor["first_name"] == "علی" and survivor["last_name"] == "Karimi"
    assert survivor["email"] == "ali@x.ir"                       # the survivor's is kept
    assert survivor["phone"] == "+989121234567"                  # empty: the first merged's
    assert survivor["job_title"] == "مدیر" and survivor["city"] == "تهران"
    assert survivor["cf_tier"] == "silver"
    assert merged["sources"] == {"last_name": b, "phone": b, "job_title": b, "city": c,
                                 "cf_tier": b, "email": [b], "emails": [b], "phones": [b],
                                 "addresses": [c]}
    # The lists are united, the survivor's primary first.
    assert [e["value"] for e in survivor["emails"]] == ["ali@x.ir", "ali.k@x.ir"]
    assert [p["value"] for p in survivor["phones"]] == ["+989121234567"]
    assert merged["repointed"] == {"linker_link.person_id": 2}
    assert links(app) == {1: a, 2: a, 3: a}
    assert linker.calls == [("contacts.person", a, [b, c])]
    assert client.get(f"{PERSONS}/{b}").status_code == 404       # in the trash
    trash = client.get(PERSONS, query_string={"trash": 1}).json["data"]
    assert sorted(r["id"] for r in trash) == [b, c]
    audit = client.get("/api/v1/audit", query_string={"entity": "contacts.person",
                                                      "id": a}).json["data"]
    assert audit[0]["action"] == "merge"
    assert audit[0]["changes"]["sources"][1] == merged["sources"]
    assert audit[1]["action"] == "update" and audit[1]["changes"]["last_name"] == [
        "کریمی", "Karimi"]
    assert client.get("/api/v1/audit", query_string={
        "entity": "contacts.person", "id": b}).json["data"][0]["action"] == "merged"
    listed = client.get("/api/v1/contacts/merges").json["data"]
    assert [(m["id"], m["survivor_id"], m["merged_ids"], m["status"]) for m in listed] == [
        (merged["id"], a, [b, c], "done")]

    undone = client.post(f"/api/v1/contacts/merges/{merged['id']}/undo")
    assert undone.status_code == 200, undone.json
    assert sorted(undone.json["restored"]) == [b, c] and undone.json["rows_restored"] == 2
    assert links(app) == {1: b, 2: c, 3: a}
    back = client.get(f"{PERSONS}/{a}").json
    assert (back["last_name"], back["phone"], back["job_title"], back["city"],
            back["cf_tier"]) == ("کریمی", None, None, None, "gold")
    assert client.get(f"{PERSONS}/{b}").json["cf_tier"] == "silver"
    assert client.get("/api/v1/contacts/merges").json["data"][0]["status"] == "undone"
    again = client.post(f"/api/v1/contacts/merges/{merged['id']}/undo")
    assert again.status_code == 409 and "undone already" in again.json["message"]


def test_dry_run_shows_the_result_and_writes_nothing(app, client):
    a = person(client, last_name="A")
    b = person(client, last_name="B", email="b@x.ir")
    add_link(app, 1, b)
    response = client.post(f"{PERSONS}/merge", json={"survivor": a, "merged": [b],
                                                     "dry_run": True})
    assert response.status_code == 200, response.json
    assert response.json["survivor"]["email"] == "b@x.ir" and response.json["id"] is None
    assert response.json["repointed"] == {"linker_link.person_id": 1}
    assert client.get(f"{PERSONS}/{a}").json["email"] is None
    assert client.get(f"{PERSONS}/{b}").status_code == 200
    assert links(app) == {1: b}
    assert client.get("/api/v1/contacts/merges").json["data"] == []


def test_bad_requests_are_refused_clearly(client):
    a = person(client)
    b = person(client)
    cases = [({"survivor": a, "merged": []}, "merged"),
             ({"survivor": a, "merged": [a]}, "merged"),
             ({"survivor": "x", "merged": [b]}, "survivor"),
             ({"survivor": a, "merged": [b], "fields": {"nope": a}}, "fields"),
             ({"survivor": a, "merged": [b], "fields": {"email": 999}}, "fields")]
    for body, field in cases:
        response = client.post(f"{PERSONS}/merge", json=body)
        assert response.status_code == 422 and field in response.json["errors"], body
    assert client.post(f"{PERSONS}/merge", json={"survivor": a, "merged": [99999]}
                       ).status_code == 404
    assert client.get(f"{PERSONS}/{b}").status_code == 200


def test_permissions_update_survivor_delete_merged(app, client):
    from peyvand_sdk.testing import make_user_client

    seller = make_user_client(app, "seller", ("salesperson",))
    reader = make_user_client(app, "reader", ("readonly",))
    mine = person(seller, last_name="mine")
    also_mine = person(seller, last_name="also")
    theirs = person(client, last_name="admin's")
    assert seller.post(f"{PERSONS}/merge", json={"survivor": mine, "merged": [theirs]}
                       ).status_code == 404
    assert seller.post(f"{PERSONS}/merge", json={"survivor": theirs, "merged": [mine]}
                       ).status_code == 404
    assert reader.post(f"{PERSONS}/merge", json={"survivor": mine, "merged": [also_mine]}
                       ).status_code == 403
    done = seller.post(f"{PERSONS}/merge", json={"survivor": mine, "merged": [also_mine]})
    assert done.status_code == 201, done.json
    assert [m["id"] for m in reader.get("/api/v1/contacts/merges").json["data"]] == [
        done.json["id"]]
    assert reader.post(f"/api/v1/contacts/merges/{done.json['id']}/undo").status_code == 403
    assert reader.get(f"/api/v1/contacts/merges/{done.json['id']}").json["survivor_id"] == mine
    other = make_user_client(app, "other", ("salesperson",))
    assert other.get(f"/api/v1/contacts/merges/{done.json['id']}").status_code == 404
    assert other.get("/api/v1/contacts/merges").json["data"] == []


def test_undo_refuses_when_the_survivor_changed_since_unless_forced(app, client):
    a = person(client, last_name="A")
    b = person(client, last_name="B", email="b@x.ir", city="قم")
    merged = client.post(f"{PERSONS}/merge", json={"survivor": a, "merged": [b]}).json
    client.patch(f"{PERSONS}/{a}", json={"email": "new@x.ir", "job_title": "later"})
    refused = client.post(f"/api/v1/contacts/merges/{merged['id']}/undo")
    assert refused.status_code == 409
    assert "field email" in refused.json["message"]  # email, or its list emails
    assert client.get(f"{PERSONS}/{b}").status_code == 404            # nothing changed
    forced = client.post(f"/api/v1/contacts/merges/{merged['id']}/undo", json={"force": True})
    assert forced.status_code == 200, forced.json
    now = client.get(f"{PERSONS}/{a}").json
    assert (now["email"], now["city"], now["job_title"]) == ("new@x.ir", None, "later")
    assert client.get(f"{PERSONS}/{b}").json["email"] == "b@x.ir"


def test_organisations_merge_moves_their_people_and_undo_moves_them_back(app, client):
    a = client.post(ORGS, json={"name": "نوین"}).json["id"]
    b = client.post(ORGS, json={"name": "نوين", "website": "novin.ir"}).json["id"]
    p1 = person(client, last_name="p1", organization_id=b)
    p2 = person(client, last_name="p2", organization_id=a)
    version = client.get(f"{PERSONS}/{p1}").json["version"]
    merged = client.post(f"{ORGS}/merge", json={"survivor": a, "merged": [b]})
    assert merged.status_code == 201, merged.json
    assert merged.json["repointed"] == {"contacts_person.organization_id": 1}
    assert merged.json["survivor"]["website"] == "novin.ir"
    moved = client.get(f"{PERSONS}/{p1}").json
    assert moved["organization_id"] == a and moved["version"] == version + 1
    hits = client.get("/api/v1/search", query_string={"q": "p1"}).json["data"]
    assert any(h["id"] == p1 for h in hits)
    assert client.post(f"/api/v1/contacts/merges/{merged.json['id']}/undo").status_code == 200
    assert client.get(f"{PERSONS}/{p1}").json["organization_id"] == b
    assert client.get(f"{PERSONS}/{p2}").json["organization_id"] == a
    assert client.get(f"{ORGS}/{a}").json["website"] is None


def test_the_cli_merges_and_undoes(app, client, peyvand_cli):
    a = person(client, last_name="A", email="a@x.ir")
    b = person(client, last_name="B", email="b@x.ir")
    dry = peyvand_cli("contacts", "merge", str(a), str(b), "--take", f"email={b}", "--dry-run")
    assert dry.exit_code == 0, dry.output
    # email={b}: b's address becomes the primary item of the united list.
    assert "emails: [{'value': 'a@x.ir'" in dry.output and "-> [{'value': 'b@x.ir'" in \
        dry.output and "nothing was written" in dry.output
    done = peyvand_cli("contacts", "merge", str(a), str(b), "--take", f"email={b}")
    assert done.exit_code == 0, done.output
    assert client.get(f"{PERSONS}/{a}").json["email"] == "b@x.ir"
    listed = peyvand_cli("contacts", "merges")
    assert f"{b} -> {a}" in listed.output
    merge_id = done.output.split("merge ")[1].split(":")[0]
    undone = peyvand_cli("contacts", "merge-undo", merge_id)
    assert undone.exit_code == 0, undone.output
    assert client.get(f"{PERSONS}/{a}").json["email"] == "a@x.ir"
    bad = peyvand_cli("contacts", "merge", str(a), "999999")
    assert bad.exit_code != 0 and "999999" in bad.output


def test_union_of_lists_keeps_one_primary():
    from peyvand_contacts.merging import union_lists

    survivor = [{"value": "+98912", "type": "mobile", "primary": True},
                {"value": "+98213", "type": "work", "primary": False}]
    other = [{"value": "+98935", "type": "mobile", "primary": True},
             {"value": "+98912", "type": "home", "primary": False}]
    kept = union_lists([survivor, other])
    assert [(i["value"], i["primary"]) for i in kept] == [
        ("+98912", True), ("+98213", False), ("+98935", False)]
    chosen = union_lists([survivor, other], primary_from=1)
    assert [(i["value"], i["primary"]) for i in chosen] == [
        ("+98935", True), ("+98912", False), ("+98213", False)]
    assert [i["value"] for i in union_lists([[], other])] == ["+98935", "+98912"]
    assert union_lists([["vip"], ["vip", "new"]]) == ["vip", "new"]
