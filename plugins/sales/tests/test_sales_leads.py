"""Leads: sources, types and statuses, qualify/disqualify, scoring with reasons, and
conversion into a person (+ organisation) and a deal without duplicates."""

import pytest
from test_sales_deals import Spy

pytestmark = pytest.mark.peyvand_plugins("contacts", "sales")

LEADS = "/api/v1/sales/leads"


def lead(client, **values):
    values = {"last_name": "کریمی", "source": "web_form", **values}
    response = client.post(LEADS, json=values)
    assert response.status_code == 201, response.json
    return response.json


def test_a_lead_has_a_listed_source_a_type_a_status_and_an_owner(peyvand_login):
    seller = peyvand_login("salesperson")
    created = lead(seller, first_name="سارا", type="product_trial", email=" Sara@Example.IR ",
                   phone="۰۹۱۲ ۱۲۳ ۴۵۶۷", budget=500_000_000, purchase_timing="this_quarter")
    assert created["status"] == "new" and created["type"] == "product_trial"
    assert created["owner_id"] == seller.peyvand_user.id
    assert (created["email"], created["phone"]) == ("sara@example.ir", "+989121234567")
    bad = seller.post(LEADS, json={"last_name": "x", "source": "carrier_pigeon"})
    assert bad.status_code == 422 and "source" in bad.json["errors"]
    bad = seller.post(LEADS, json={"last_name": "x", "source": "sms", "phone": "12"})
    assert bad.status_code == 422 and "phone" in bad.json["errors"]
    empty = seller.post(LEADS, json={"source": "sms", "city": "قم"})
    assert empty.status_code == 422 and "last_name" in empty.json["errors"]
    assert seller.post(LEADS, json={"last_name": "x", "source": "sms", "type": "cold"}
                       ).status_code == 422
    assert seller.post(LEADS, json={"last_name": "x", "source": "sms", "score": 99}
                       ).status_code == 422


def test_sources_are_an_admin_editable_list(peyvand_client):
    sources = [o["key"] for o in
               peyvand_client.get("/api/v1/sales/options/lead_source").json["data"]]
    assert {"web_form", "email", "phone_call", "sms", "import", "referral", "event",
            "manual"} <= set(sources)
    peyvand_client.put("/api/v1/sales/options/lead_source", json={"data": [
        {"key": "instagram", "label": {"en": "Instagram", "fa": "اینستاگرام"}}]})
    assert lead(peyvand_client, source="instagram")["source"] == "instagram"
    assert peyvand_client.post(LEADS, json={"last_name": "x", "source": "sms"}
                               ).status_code == 422


def test_qualify_and_disqualify_with_a_reason(peyvand_client):
    created = lead(peyvand_client)
    url = f"{LEADS}/{created['id']}"
    assert peyvand_client.post(f"{url}/qualify").json["status"] == "qualified"
    no_reason = peyvand_client.post(f"{url}/disqualify", json={})
    assert no_reason.status_code == 422
    unknown = peyvand_client.post(f"{url}/disqualify", json={"reason": "bored"})
    assert unknown.status_code == 422 and "disqualify_reason" in unknown.json["errors"]
    done = peyvand_client.post(f"{url}/disqualify", json={"reason": "competitor"})
    assert done.status_code == 200
    assert (done.json["status"], done.json["disqualify_reason"]) == ("disqualified",
                                                                     "competitor")
    # Through the generic API too, with the same rule.
    assert peyvand_client.patch(url, json={"status": "working"}).json[
        "disqualify_reason"] is None
    assert peyvand_client.patch(url, json={"status": "disqualified"}).status_code == 422
    assert peyvand_client.patch(url, json={"status": "converted"}).status_code == 422


def test_scoring_criteria_points_threshold_and_why(peyvand_client, peyvand_login):
    scoring = {"threshold": 50, "criteria": [
        {"label": "Budget of 1 billion or more", "field": "budget", "operator": "gte",
         "value": 1_000_000_000, "points": 30},
        {"label": "Buying this quarter", "field": "purchase_timing", "operator": "in",
         "value": ["now", "this_quarter"], "points": 20},
        {"label": "Decision maker", "field": "job_title", "operator": "contains",
         "value": "مدیر", "points": 15},
        {"label": "Referred", "field": "source", "operator": "eq", "value": "referral",
         "points": 10},
        {"label": "No phone", "field": "phone", "operator": "present", "value": False,
         "points": -5},
    ]}
    early = lead(peyvand_client, budget=2_000_000_000)
    assert peyvand_login("salesperson").put("/api/v1/sales/scoring", json=scoring
                                            ).status_code == 403
    saved = peyvand_client.put("/api/v1/sales/scoring", json=scoring)
    assert saved.status_code == 200, saved.json
    assert saved.json["rescored"] == 1 and len(saved.json["criteria"]) == 5
    rescored = peyvand_client.get(f"{LEADS}/{early['id']}").json
    assert rescored["score"] == 25 and not rescored["score_met"]   # 30 - 5 (no phone)

    hot = lead(peyvand_client, budget=1_000_000_000, purchase_timing="now",
               job_title="مدیر خرید", source="referral", phone="09121112233")
    assert hot["score"] == 75 and hot["score_met"]
    assert [d["label"] for d in hot["score_details"]] == [
        "Budget of 1 billion or more", "Buying this quarter", "Decision maker", "Referred"]
    assert [d["points"] for d in hot["score_details"]] == [30, 20, 15, 10]
    cooled = peyvand_client.patch(f"{LEADS}/{hot['id']}",
                                  json={"purchase_timing": "later"}).json
    assert cooled["score"] == 55 and cooled["score_met"]
    assert peyvand_client.get("/api/v1/sales/scoring").json["threshold"] == 50

    bad = peyvand_client.put("/api/v1/sales/scoring", json={"threshold": 10, "criteria": [
        {"label": "x", "field": "city", "operator": "gte", "value": 3, "points": 1}]})
    assert bad.status_code == 422


def test_activity_count_criterion_follows_linked_activities(peyvand_client):
    peyvand_client.put("/api/v1/sales/scoring", json={"threshold": 10, "criteria": [
        {"label": "Engaged", "field": "activity_count", "operator": "gte", "value": 2,
         "points": 10}]})
    created = lead(peyvand_client)
    for subject in ("call", "meeting"):
        response = peyvand_client.post("/api/v1/sales/activities", json={
            "subject": subject, "entity": "sales.lead", "record_id": created["id"]})
        assert response.status_code == 201, response.json
    assert peyvand_client.get(f"{LEADS}/{created['id']}").json["score"] == 10


def test_convert_creates_person_organisation_and_deal_in_one_step(peyvand_client):
    created = lead(peyvand_client, first_name="نگار", company="نرم‌افزار آریا",
                   email="negar@aryasoft.ir", phone="09301234321", budget=90_000_000,
                   title="لایسنس حسابداری", job_title="مدیر مالی")
    result = peyvand_client.post(f"{LEADS}/{created['id']}/convert", json={
        "deal": {"expected_close": "2025-09-01"}})
    assert result.status_code == 200, result.json
    body = result.json
    assert body["person"]["matched"] is False and body["organization"]["matched"] is False
    person = peyvand_client.get(f"/api/v1/contacts/persons/{body['person']['id']}").json
    assert (person["last_name"], person["email"], person["phone"]) == (
        "کریمی", "negar@aryasoft.ir", "+989301234321")
    assert person["organization_id"] == body["organization"]["id"]
    deal = body["deal"]
    assert (deal["title"], deal["amount"], deal["stage"], deal["person_id"],
            deal["organization_id"], deal["expected_close"]) == (
        "لایسنس حسابداری", "90000000", "qualified", person["id"], body["organization"]["id"],
        "2025-09-01")
    converted = body["lead"]
    assert converted["status"] == "converted" and converted["converted_at"]
    assert (converted["person_id"], converted["deal_id"]) == (person["id"], deal["id"])
    again = peyvand_client.post(f"{LEADS}/{created['id']}/convert", json={})
    assert again.status_code == 422 and "already converted" in again.json["errors"]["status"][0]


def test_convert_matches_existing_contacts_by_normalised_email_or_phone(peyvand_client):
    org = peyvand_client.post("/api/v1/contacts/organizations",
                              json={"name": "Caspian Logistics"}).json
    existing = peyvand_client.post("/api/v1/contacts/persons", json={
        "first_name": "Sara", "last_name": "Karimi", "email": "sara@caspianlog.com",
        "phone": "+989111234000", "organization_id": org["id"]}).json
    by_email = lead(peyvand_client, last_name="Karimi", email="  SARA@CaspianLog.com")
    by_phone = lead(peyvand_client, last_name="K.", phone="0911 123 4000", company="Other")
    assert [m["id"] for m in peyvand_client.get(
        f"{LEADS}/{by_phone['id']}/matches").json["data"]] == [existing["id"]]
    people_before = peyvand_client.get("/api/v1/contacts/persons?total=1").json["total"]
    first = peyvand_client.post(f"{LEADS}/{by_email['id']}/convert",
                                json={"create_deal": False}).json
    second = peyvand_client.post(f"{LEADS}/{by_phone['id']}/convert", json={}).json
    assert first["person"] == {"id": existing["id"], "matched": True}
    assert first["organization"] == {"id": org["id"], "matched": True}
    assert first["deal"] is None
    assert second["person"]["id"] == existing["id"]
    assert second["organization"]["id"] == org["id"]   # the person's own organisation
    assert peyvand_client.get("/api/v1/contacts/persons?total=1").json["total"] == people_before
    orgs = peyvand_client.get("/api/v1/contacts/organizations?total=1").json["total"]
    assert orgs == 1


def test_convert_is_all_or_nothing_and_needs_a_last_name(peyvand_client):
    nameless = lead(peyvand_client, last_name=None, company="Only A Company")
    refused = peyvand_client.post(f"{LEADS}/{nameless['id']}/convert", json={})
    assert refused.status_code == 422 and "last_name" in refused.json["errors"]
    assert peyvand_client.get("/api/v1/contacts/organizations?total=1").json["total"] == 0
    bad_deal = lead(peyvand_client)
    refused = peyvand_client.post(f"{LEADS}/{bad_deal['id']}/convert",
                                  json={"deal": {"stage": "nowhere"}})
    assert refused.status_code == 422 and "stage" in refused.json["errors"]
    assert peyvand_client.get("/api/v1/contacts/persons?total=1").json["total"] == 0
    assert peyvand_client.get(f"{LEADS}/{bad_deal['id']}").json["status"] == "new"


def test_convert_respects_permissions(peyvand_client, peyvand_login):
    theirs = lead(peyvand_client)
    seller = peyvand_login("salesperson")
    assert seller.post(f"{LEADS}/{theirs['id']}/convert", json={}).status_code == 404
    mine = lead(seller)
    assert seller.post(f"{LEADS}/{mine['id']}/convert", json={}).status_code == 200
    assert peyvand_login("readonly").post(f"{LEADS}/{theirs['id']}/convert",
                                          json={}).status_code == 403


def test_lead_converted_is_fired(peyvand_app_factory):
    spy = Spy()
    app = peyvand_app_factory(plugins=["contacts", "sales"],
                              extra_plugins=[("spy", spy, "1.0")])
    client = app.test_client()
    created = lead(client)
    body = client.post(f"{LEADS}/{created['id']}/convert", json={}).json
    assert spy.heard == [("converted", created["id"], body["person"]["id"],
                          body["deal"]["id"])]
