"""Pipelines, deals, won/lost reasons, stage history and the hooks sales publishes, through
the real API."""

import datetime

import pytest

from peyvand_sdk import Manifest, hookimpl

pytestmark = pytest.mark.peyvand_plugins("contacts", "sales")

STAGES = [{"key": "new", "label": {"en": "New", "fa": "جدید"}, "probability": 10},
          {"key": "demo", "label": {"en": "Demo", "fa": "دمو"}, "probability": 50},
          {"key": "contract", "label": {"en": "Contract", "fa": "قرارداد"}, "probability": 80}]


def make_pipeline(client, stages=STAGES, name="Software"):
    response = client.post("/api/v1/sales/pipelines", json={"name": name, "stages": stages})
    assert response.status_code == 201, response.json
    return response.json


def make_deal(client, pipeline_id, stage="new", **extra):
    response = client.post("/api/v1/sales/deals", json={
        "title": extra.pop("title", "لایسنس"), "pipeline_id": pipeline_id, "stage": stage,
        "amount": extra.pop("amount", "1000000"), **extra})
    assert response.status_code == 201, response.json
    return response.json


@pytest.mark.parametrize("stages,message", [
    ([], "give 1 to 30 stages"),
    ("not json", "not a JSON array of stages"),
    ([{"key": "a", "probability": 10}, {"key": "a", "probability": 20}], "unique: a"),
    ([{"key": "A b", "probability": 10}], "lower-case"),
    ([{"key": "a", "probability": 150}], "less than or equal to 100"),
    ([{"key": "a"}], "Missing data"),
])
def test_pipeline_stages_are_validated(peyvand_client, stages, message):
    response = peyvand_client.post("/api/v1/sales/pipelines",
                                   json={"name": "Bad", "stages": stages})
    assert response.status_code == 422
    assert message in str(response.json["errors"]["stages"])


def test_pipeline_stages_are_shown_as_a_list_and_a_json_string_is_accepted(peyvand_client):
    created = peyvand_client.post("/api/v1/sales/pipelines", json={
        "name": "Old client", "stages": '[{"key": "x", "probability": 5}]'})
    assert created.status_code == 201, created.json
    assert created.json["stages"] == [{"key": "x", "label": {}, "probability": 5}]
    listed = peyvand_client.get("/api/v1/sales/pipelines?sort=id").json["data"]
    assert listed[0]["stages"][0]["key"] == "qualified"      # the default pipeline
    assert listed[-1]["stages"] == created.json["stages"]


def test_a_stage_with_open_deals_cannot_be_removed(peyvand_client):
    pipeline = make_pipeline(peyvand_client)
    make_deal(peyvand_client, pipeline["id"], "demo")
    url = f"/api/v1/sales/pipelines/{pipeline['id']}"
    refused = peyvand_client.patch(url, json={"stages": STAGES[::2]})
    assert refused.status_code == 422
    assert "demo" in refused.json["errors"]["stages"][0]
    renamed = [dict(s, label={"en": s["key"].title()}) for s in STAGES]
    assert peyvand_client.patch(url, json={"stages": renamed}).status_code == 200


def test_stage_is_validated_against_the_deals_pipeline_on_create_and_patch(peyvand_client):
    pipeline = make_pipeline(peyvand_client)
    refused = peyvand_client.post("/api/v1/sales/deals", json={
        "title": "x", "pipeline_id": pipeline["id"], "stage": "qualified"})
    assert refused.status_code == 422
    assert "not a stage of pipeline 'Software'" in refused.json["errors"]["stage"][0]
    deal = make_deal(peyvand_client, pipeline["id"])
    url = f"/api/v1/sales/deals/{deal['id']}"
    moved = peyvand_client.patch(url, json={"stage": "closing"})
    assert moved.status_code == 422 and "use one of: new, demo, contract" in \
        moved.json["errors"]["stage"][0]
    assert peyvand_client.get(url).json["stage"] == "new"      # nothing written
    # A move to another pipeline must name a stage of that pipeline.
    assert peyvand_client.patch(url, json={"pipeline_id": 1}).status_code == 422
    assert peyvand_client.patch(url, json={"pipeline_id": 1, "stage": "proposal"}
                                ).status_code == 200
    missing = peyvand_client.post("/api/v1/sales/deals", json={
        "title": "x", "pipeline_id": 999, "stage": "new"})
    assert missing.status_code == 422 and "pipeline_id" in missing.json["errors"]


def test_amount_currency_close_date_owner_and_team(peyvand_login):
    seller = peyvand_login("salesperson", team="تهران")
    deal = seller.post("/api/v1/sales/deals", json={
        "title": "POS", "pipeline_id": 1, "stage": "qualified", "amount": "2500000000",
        "currency": "IRT", "expected_close": "2025-06-01"})
    assert deal.status_code == 201, deal.json
    body = deal.json
    assert (body["amount"], body["currency"], body["expected_close"]) == (
        "2500000000", "IRT", "2025-06-01")
    assert body["owner_id"] == seller.peyvand_user.id and body["team_id"] is not None
    assert body["stage_entered_at"].endswith("Z") and body["closed_at"] is None
    negative = seller.post("/api/v1/sales/deals", json={
        "title": "x", "pipeline_id": 1, "stage": "qualified", "amount": "-5"})
    assert negative.status_code == 422 and "amount" in negative.json["errors"]


def test_won_and_lost_need_listed_reasons_and_reopen_clears_them(peyvand_client):
    deal = make_deal(peyvand_client, 1, "qualified")
    url = f"/api/v1/sales/deals/{deal['id']}"
    no_reason = peyvand_client.patch(url, json={"status": "lost"})
    assert no_reason.status_code == 422 and "lost_reason" in no_reason.json["errors"]
    unknown = peyvand_client.patch(url, json={"status": "lost", "lost_reason": "weather"})
    assert unknown.status_code == 422 and "lost_reason" in unknown.json["errors"]
    lost = peyvand_client.patch(url, json={"status": "lost", "lost_reason": "competitor"})
    assert lost.status_code == 200, lost.json
    assert lost.json["closed_at"] and lost.json["lost_reason"] == "competitor"
    moving_closed = peyvand_client.patch(url, json={"stage": "proposal"})
    assert moving_closed.status_code == 422 and "reopen it" in \
        moving_closed.json["errors"]["stage"][0]
    reopened = peyvand_client.patch(url, json={"status": "open"}).json
    assert reopened["closed_at"] is None and reopened["lost_reason"] is None
    won = peyvand_client.patch(url, json={"status": "won", "won_reason": "price"}).json
    assert won["status"] == "won" and won["won_reason"] == "price" and won["closed_at"]


def test_server_maintained_fields_cannot_be_written(peyvand_client):
    deal = make_deal(peyvand_client, 1, "qualified")
    refused = peyvand_client.patch(f"/api/v1/sales/deals/{deal['id']}",
                                   json={"closed_at": "2020-01-01T00:00:00Z"})
    assert refused.status_code == 422 and "closed_at" in refused.json["errors"]


def test_reason_lists_are_admin_editable(peyvand_client, peyvand_login):
    reasons = peyvand_client.get("/api/v1/sales/options/lost_reason").json["data"]
    assert {"key": "price", "label": {"en": "Price", "fa": "قیمت"}, "active": True} in reasons
    seller = peyvand_login("salesperson")
    assert seller.get("/api/v1/sales/options/lost_reason").status_code == 200
    new = [{"key": "price", "label": {"en": "Too expensive", "fa": "گران"}},
           {"key": "lost_tender", "label": {"en": "Lost the tender", "fa": "باخت در مناقصه"}}]
    assert seller.put("/api/v1/sales/options/lost_reason", json={"data": new}
                      ).status_code == 403
    saved = peyvand_client.put("/api/v1/sales/options/lost_reason", json={"data": new})
    assert saved.status_code == 200, saved.json
    by_key = {r["key"]: r for r in saved.json["data"]}
    assert by_key["price"]["label"]["en"] == "Too expensive"
    assert by_key["lost_tender"]["active"] and not by_key["competitor"]["active"]
    deal = make_deal(peyvand_client, 1, "qualified")
    url = f"/api/v1/sales/deals/{deal['id']}"
    assert peyvand_client.patch(url, json={"status": "lost", "lost_reason": "competitor"}
                                ).status_code == 422
    assert peyvand_client.patch(url, json={"status": "lost", "lost_reason": "lost_tender"}
                                ).status_code == 200
    assert peyvand_client.put("/api/v1/sales/options/lost_reason", json={"data": [
        {"key": "a"}, {"key": "a"}]}).status_code == 422
    assert peyvand_client.get("/api/v1/sales/options/colours").status_code == 404


def test_stage_history_records_time_spent_in_each_stage(peyvand_app, peyvand_client):
    from peyvand_sales.models import DealStage

    pipeline = make_pipeline(peyvand_client)
    deal = make_deal(peyvand_client, pipeline["id"])
    kernel = peyvand_app.extensions["peyvand"]
    with kernel.storage.bound("default"):   # pretend the deal entered "new" two hours ago
        for stay in DealStage.select():
            stay.entered_at -= datetime.timedelta(hours=2)
            stay.save()
    url = f"/api/v1/sales/deals/{deal['id']}"
    assert peyvand_client.patch(url, json={"stage": "demo"}).status_code == 200
    assert peyvand_client.patch(url, json={"status": "won"}).status_code == 200
    history = peyvand_client.get(f"{url}/stages").json
    assert [(s["stage"], s["current"]) for s in history["data"]] == [("new", False),
                                                                      ("demo", False)]
    assert 7190 < history["seconds_per_stage"]["new"] < 7300
    assert history["seconds_per_stage"]["demo"] < 60
    assert peyvand_client.get("/api/v1/sales/deals/999/stages").status_code == 404


class Spy:
    """A throwaway partner plugin listening to every hook sales publishes."""

    manifest = Manifest(label={"en": "Spy"})

    def __init__(self):
        self.heard = []

    @hookimpl(optionalhook=True)
    def deal_stage_changed(self, deal, old_stage, new_stage):
        self.heard.append(("stage", deal.id, old_stage, new_stage))

    @hookimpl(optionalhook=True)
    def deal_won(self, deal):
        self.heard.append(("won", deal.id, deal.amount))

    @hookimpl(optionalhook=True)
    def deal_lost(self, deal, reason):
        self.heard.append(("lost", deal.id, reason))

    @hookimpl(optionalhook=True)
    def lead_converted(self, lead, person, deal):
        self.heard.append(("converted", lead.id, person.id, deal.id if deal else None))


@pytest.fixture
def spied(peyvand_app_factory):
    spy = Spy()
    app = peyvand_app_factory(plugins=["contacts", "sales"],
                              extra_plugins=[("spy", spy, "1.0")])
    return spy, app, app.test_client()


def test_a_partner_plugin_hears_stage_changes_wins_and_losses(spied):
    spy, app, client = spied
    first = make_deal(client, 1, "qualified")
    second = make_deal(client, 1, "qualified")
    client.patch(f"/api/v1/sales/deals/{first['id']}", json={"stage": "proposal"})
    client.post(f"/api/v1/sales/deals/{first['id']}/move", json={"stage": "closing"})
    client.patch(f"/api/v1/sales/deals/{first['id']}", json={"status": "won"})
    client.patch(f"/api/v1/sales/deals/{second['id']}",
                 json={"status": "lost", "lost_reason": "price"})
    client.patch(f"/api/v1/sales/deals/{second['id']}", json={"stage": "proposal"})  # refused
    assert spy.heard == [("stage", first["id"], "qualified", "proposal"),
                         ("stage", first["id"], "proposal", "closing"),
                         ("won", first["id"], 1000000),
                         ("lost", second["id"], "price")]


def test_a_disabled_partner_hears_nothing(spied):
    spy, app, client = spied
    app.extensions["peyvand"].disable("spy")
    deal = make_deal(client, 1, "qualified")
    client.patch(f"/api/v1/sales/deals/{deal['id']}", json={"status": "won"})
    assert spy.heard == []


def test_won_lost_and_stage_moves_are_events_in_the_outbox(peyvand_app):
    import json

    client = peyvand_app.test_client()
    deal = make_deal(client, 1, "qualified")
    url = f"/api/v1/sales/deals/{deal['id']}"
    assert client.patch(url, json={"stage": "proposal"}).status_code == 200
    assert client.patch(url, json={"status": "won", "won_reason": "price"}).status_code == 200
    assert client.patch(url, json={"status": "lost", "lost_reason": "price"}).status_code == 200
    assert client.patch(url, json={"status": "won", "won_reason": "nope"}).status_code == 422
    db = peyvand_app.extensions["peyvand"].storage.database_for("default")
    rows = [row for row in db.execute_sql("SELECT name, record_id, payload FROM peyvand_outbox "
                                          "ORDER BY id").fetchall()
            if row[0].startswith("deal-")]
    assert [(name, record_id) for name, record_id, _ in rows] == [
        ("deal-stage-changed", deal["id"]), ("deal-won", deal["id"]), ("deal-lost", deal["id"])]
    assert json.loads(rows[0][2])["data"]["new_stage"] == "proposal"
