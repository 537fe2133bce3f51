"""Sales implements the contacts plugin's hooks: ``contact_timeline`` (a contact's deals with
their stage changes and outcome, leads and activities, newest first, only what the viewer may
read) and ``contacts_merged`` (deals, leads and activities follow the surviving contact, with
what changed returned so a merge can be undone). Called through the kernel's hook relay, as the
contacts plugin calls them."""

import datetime

import pytest

from peyvand_sdk import acting_as

pytestmark = pytest.mark.peyvand_plugins("contacts", "sales")


def person(client, last_name, **values):
    response = client.post("/api/v1/contacts/persons", json={"last_name": last_name, **values})
    assert response.status_code == 201, response.json
    return response.json


def deal(client, **values):
    response = client.post("/api/v1/sales/deals", json={
        "title": "لایسنس", "pipeline_id": 1, "stage": "qualified", "amount": "1000000",
        **values})
    assert response.status_code == 201, response.json
    return response.json


def activity(client, **values):
    response = client.post("/api/v1/sales/activities", json={"subject": "تماس", **values})
    assert response.status_code == 201, response.json
    return response.json


def relay_call(app, user, hook, **kwargs):
    """Call ``hook`` through the tenant's relay as ``user`` (or as the system)."""
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"), \
            kernel.storage.database_for("default").atomic():
        from peyvand.identity import User

        actor = None
        if user is not None:
            row = User.get_by_id(user.id)
            actor = kernel.actor_for(row, "default")
        with acting_as(actor):
            results = getattr(kernel.hooks("default"), hook)(**kwargs)
    return [item for result in results for item in (result or [])]


def timeline(app, user, record_id, entity="contacts.person", before=None, limit=50):
    items = relay_call(app, user, "contact_timeline", entity=entity, record_id=record_id,
                       before=before, limit=limit)
    return [i for i in items if i["key"].startswith("sales.")]


def backdate(app, model_name, record_id, **values):
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        from peyvand_sales import models

        model = getattr(models, model_name)
        model.update(**values).where(model.id == record_id).execute()


def test_timeline_of_a_person_has_deals_stage_changes_outcome_leads_and_activities(
        peyvand_app, peyvand_client):
    admin = peyvand_client
    client = person(admin, "رضایی", email="reza@example.ir")
    won = deal(admin, title="کارتخوان", person_id=client["id"])
    moved = admin.post(f"/api/v1/sales/deals/{won['id']}/move", json={"stage": "proposal"})
    assert moved.status_code == 200, moved.json
    assert admin.post(f"/api/v1/sales/deals/{won['id']}/move",
                      json={"status": "won"}).status_code == 200
    lost = deal(admin, title="پشتیبانی", person_id=client["id"])
    assert admin.post(f"/api/v1/sales/deals/{lost['id']}/move",
                      json={"status": "lost", "lost_reason": "price"}).status_code == 200
    lead = admin.post("/api/v1/sales/leads", json={
        "last_name": "رضایی", "email": "REZA@example.ir", "source": "event"}).json
    converted = admin.post(f"/api/v1/sales/leads/{lead['id']}/convert",
                           json={"create_deal": False})
    assert converted.json["person"] == {"id": client["id"], "matched": True}
    call = activity(admin, entity="contacts.person", record_id=client["id"], kind="call",
                    status="done", outcome="قرار جلسه گذاشته شد")
    on_deal = activity(admin, entity="sales.deal", record_id=won["id"], subject="ارسال قرارداد")
    other = person(admin, "دیگری")
    deal(admin, title="مال دیگری", person_id=other["id"])

    items = timeline(peyvand_app, None, client["id"])
    keys = [i["key"] for i in items]
    assert set(keys) == {
        f"sales.deal:{won['id']}:created", f"sales.deal:{won['id']}:won",
        f"sales.deal:{lost['id']}:created", f"sales.deal:{lost['id']}:lost",
        f"sales.lead:{lead['id']}:created", f"sales.lead:{lead['id']}:converted",
        f"sales.activity:{call['id']}", f"sales.activity:{on_deal['id']}",
    } | {k for k in keys if k.startswith(f"sales.deal:{won['id']}:stage:")}
    stage_items = [i for i in items if ":stage:" in i["key"]]
    assert len(stage_items) == 1 and "Proposal sent" in stage_items[0]["summary"]
    assert [(i["at"], i["key"]) for i in items] == sorted(
        ((i["at"], i["key"]) for i in items), reverse=True)
    for item in items:
        assert isinstance(item["at"], datetime.datetime) and item["title"]
        assert item["entity"] in ("sales.deal", "sales.lead", "sales.activity")
    by_key = {i["key"]: i for i in items}
    assert by_key[f"sales.deal:{won['id']}:won"]["summary"] == "Deal won (1,000,000 IRR)"
    assert by_key[f"sales.deal:{lost['id']}:lost"]["summary"] == "Deal lost: Price"
    assert "قرار جلسه گذاشته شد" in by_key[f"sales.activity:{call['id']}"]["summary"]
    assert by_key[f"sales.lead:{lead['id']}:created"]["summary"] == \
        "Lead captured from Event / exhibition"
    # Each item names its kind for the contact's page (contacts shows ``label``):
    # ("deal", "won") for "sales.deal:3:won", ("activity", "") for "sales.activity:4".
    labels = {(i["kind"], (i["key"].split(":") + [""])[2]): i["label"] for i in items}
    assert labels == {("deal", "created"): "Deal", ("deal", "stage"): "Stage change",
                      ("deal", "won"): "Deal won", ("deal", "lost"): "Deal lost",
                      ("lead", "created"): "Lead", ("lead", "converted"): "Lead converted",
                      ("activity", ""): "Activity"}


def test_timeline_pages_with_before_and_limit_without_gaps(peyvand_app, peyvand_client):
    admin = peyvand_client
    client = person(admin, "صفحه")
    base = datetime.datetime(2025, 1, 1, 8, 0)
    made = []
    for i in range(5):
        d = deal(admin, title=f"معامله {i}", person_id=client["id"])
        backdate(peyvand_app, "Deal", d["id"], created_at=base + datetime.timedelta(hours=i))
        made.append(d["id"])
    for i in range(3):
        a = activity(admin, entity="contacts.person", record_id=client["id"])
        # the same moment as a deal: the key breaks the tie
        backdate(peyvand_app, "Activity", a["id"], created_at=base + datetime.timedelta(hours=i))
    everything = timeline(peyvand_app, None, client["id"])
    assert len(everything) == 8
    seen, before = [], None
    while True:
        page = timeline(peyvand_app, None, client["id"], before=before, limit=3)
        # what the contacts plugin does with every plugin's items: drop those shown, cut
        page = [i for i in page if before is None or (i["at"], i["key"]) < before][:3]
        if not page:
            break
        seen += page
        before = (page[-1]["at"], page[-1]["key"])
    assert [i["key"] for i in seen] == [i["key"] for i in everything]


def test_timeline_shows_only_what_the_viewer_may_read(peyvand_app, peyvand_client,
                                                      peyvand_login):
    admin = peyvand_client
    seller = peyvand_login("salesperson")
    colleague = peyvand_login("salesperson")
    client = person(admin, "مشترک")
    mine = deal(seller, title="مال من", person_id=client["id"])
    theirs = deal(colleague, title="مال همکار", person_id=client["id"])
    activity(colleague, entity="sales.deal", record_id=theirs["id"], subject="همکار")
    own_call = activity(seller, entity="sales.deal", record_id=mine["id"], subject="من")

    for_seller = {i["key"] for i in timeline(peyvand_app, seller.peyvand_user, client["id"])}
    assert f"sales.deal:{mine['id']}:created" in for_seller
    assert f"sales.activity:{own_call['id']}" in for_seller
    assert not any(str(theirs["id"]) in k.split(":")[1] for k in for_seller
                   if k.startswith("sales.deal"))
    assert len(for_seller) == 2

    # a field the role hides is left out of the items
    assert admin.put("/api/v1/roles", json=_hide_amount(admin)).status_code == 200
    items = timeline(peyvand_app, seller.peyvand_user, client["id"])
    created = next(i for i in items if i["key"] == f"sales.deal:{mine['id']}:created")
    assert created["summary"] == "Deal created"


def _hide_amount(admin):
    document = admin.get("/api/v1/roles").json
    for role in document["roles"]:
        if role["key"] == "salesperson":
            role.setdefault("field_rules", {}).setdefault("sales.deal", {})["amount"] = "hidden"
    return document


def test_organisation_timeline_has_its_own_deals(peyvand_app, peyvand_client):
    admin = peyvand_client
    org = admin.post("/api/v1/contacts/organizations", json={"name": "آریا"}).json
    d = deal(admin, title="سازمانی", organization_id=org["id"])
    items = timeline(peyvand_app, None, org["id"], entity="contacts.organization")
    assert [i["key"] for i in items] == [f"sales.deal:{d['id']}:created"]
    assert timeline(peyvand_app, None, org["id"], entity="contacts.person") == []


def test_merging_people_repoints_deals_leads_and_activities_and_can_be_undone(
        peyvand_app, peyvand_client):
    admin = peyvand_client
    survivor = person(admin, "اصلی", email="a@example.ir")
    twin = person(admin, "تکراری", email="b@example.ir")
    third = person(admin, "سوم")
    kept = deal(admin, title="مانده", person_id=survivor["id"])
    moved = deal(admin, title="منتقل", person_id=twin["id"])
    moved2 = deal(admin, title="منتقل ۲", person_id=third["id"])
    lead = admin.post("/api/v1/sales/leads", json={"last_name": "تکراری",
                                                   "email": "b@example.ir",
                                                   "source": "manual"}).json
    admin.post(f"/api/v1/sales/leads/{lead['id']}/convert", json={"create_deal": False})
    call = activity(admin, entity="contacts.person", record_id=twin["id"])
    # an organisation with the same id as the merged person is not the person
    org = {"id": 0}
    while org["id"] < twin["id"]:
        org = admin.post("/api/v1/contacts/organizations", json={"name": "هم‌شماره"}).json
    assert org["id"] == twin["id"]
    untouched = activity(admin, entity="contacts.organization", record_id=twin["id"])

    changes = relay_call(peyvand_app, None, "contacts_merged", entity="contacts.person",
                         survivor_id=survivor["id"], merged_ids=[twin["id"], third["id"]])
    assert sorted((c["table"], c["column"], c["id"], c["old"]) for c in changes) == sorted([
        ("sales_deal", "person_id", moved["id"], twin["id"]),
        ("sales_deal", "person_id", moved2["id"], third["id"]),
        ("sales_lead", "person_id", lead["id"], twin["id"]),
        ("sales_activity", "record_id", call["id"], twin["id"]),
    ])
    for d in (kept, moved, moved2):
        assert admin.get(f"/api/v1/sales/deals/{d['id']}").json["person_id"] == survivor["id"]
    got = admin.get(f"/api/v1/sales/deals/{moved['id']}")
    assert got.json["version"] == moved["version"] + 1
    assert admin.get(f"/api/v1/sales/leads/{lead['id']}").json["person_id"] == survivor["id"]
    assert admin.get(f"/api/v1/sales/activities/{call['id']}").json["record_id"] == \
        survivor["id"]
    assert admin.get(f"/api/v1/sales/activities/{untouched['id']}").json["record_id"] == \
        twin["id"]
    history = admin.get(f"/api/v1/audit?entity=sales.deal&id={moved['id']}").json["data"]
    assert history[0]["via"] == "merge"
    assert history[0]["changes"]["person_id"] == [twin["id"], survivor["id"]]

    # Undo as the contract says: write "old" back into "column" of those rows.
    kernel = peyvand_app.extensions["peyvand"]
    db = kernel.storage.database_for("default")
    with kernel.storage.bound("default"), db.atomic():
        for c in changes:
            db.execute_sql(f'UPDATE "{c["table"]}" SET "{c["column"]}" = {db.param} '
                           f'WHERE "id" = {db.param}', (c["old"], c["id"]))
    assert admin.get(f"/api/v1/sales/deals/{moved2['id']}").json["person_id"] == third["id"]

    # Nothing of the survivor's own, and nothing for an entity sales does not link to.
    assert relay_call(peyvand_app, None, "contacts_merged", entity="contacts.person",
                      survivor_id=survivor["id"], merged_ids=[survivor["id"]]) == []


def test_merging_organisations_repoints_their_deals_and_leads(peyvand_app, peyvand_client):
    admin = peyvand_client
    a = admin.post("/api/v1/contacts/organizations", json={"name": "الف"}).json
    b = admin.post("/api/v1/contacts/organizations", json={"name": "ب"}).json
    d = deal(admin, organization_id=b["id"])
    changes = relay_call(peyvand_app, None, "contacts_merged",
                         entity="contacts.organization", survivor_id=a["id"],
                         merged_ids=[b["id"]])
    assert changes == [{"table": "sales_deal", "column": "organization_id", "id": d["id"],
                        "old": b["id"]}]
    assert admin.get(f"/api/v1/sales/deals/{d['id']}").json["organization_id"] == a["id"]


def test_a_merge_through_the_contacts_api_moves_leads_and_activities_and_undo_restores(
        peyvand_client):
    admin = peyvand_client
    survivor = person(admin, "اصلی")
    twin = person(admin, "تکراری", email="twin@example.ir")
    lead = admin.post("/api/v1/sales/leads", json={"last_name": "تکراری",
                                                   "email": "twin@example.ir",
                                                   "source": "manual"}).json
    assert admin.post(f"/api/v1/sales/leads/{lead['id']}/convert",
                      json={"create_deal": False}).status_code == 200
    call = activity(admin, entity="contacts.person", record_id=twin["id"])
    merged = admin.post("/api/v1/contacts/persons/merge",
                        json={"survivor": survivor["id"], "merged": [twin["id"]]})
    assert merged.status_code == 201, merged.json
    assert merged.json["repointed"] == {"sales_lead.person_id": 1,
                                        "sales_activity.record_id": 1}
    assert admin.get(f"/api/v1/sales/leads/{lead['id']}").json["person_id"] == survivor["id"]
    assert admin.get(f"/api/v1/sales/activities/{call['id']}").json["record_id"] == \
        survivor["id"]
    undone = admin.post(f"/api/v1/contacts/merges/{merged.json['id']}/undo")
    assert undone.status_code == 200, undone.json
    assert admin.get(f"/api/v1/sales/leads/{lead['id']}").json["person_id"] == twin["id"]
    assert admin.get(f"/api/v1/sales/activities/{call['id']}").json["record_id"] == twin["id"]
