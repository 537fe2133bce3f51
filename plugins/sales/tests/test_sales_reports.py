"""Report definitions for a reports plugin: sales implements ``register_reports`` without
requiring that plugin (its spec lives there); every definition runs, for a period, as the
viewer may see it. A throwaway "reports" plugin publishes the spec and runs them here."""

import datetime

import pytest

from peyvand_sdk import Manifest, acting_as, hookimpl
from peyvand_sdk.testing import make_user_client

TODAY = datetime.date.today()
START, END = TODAY - datetime.timedelta(days=30), TODAY + datetime.timedelta(days=60)


class Reports:
    manifest = Manifest(label={"en": "Reports"}, hookspecs="reports_contract")

    @hookimpl
    def tenant_enabled(self):
        return None


@pytest.fixture
def app(peyvand_app_factory):
    return peyvand_app_factory(plugins=["contacts", "sales"],
                               extra_plugins=[("reports", Reports(), "1.0")])


def run(app, key, user=None, params=None):
    """What the reports plugin does: find the definition, bind the viewer, run it."""
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        from peyvand.identity import User

        found = {d["key"]: d for _, d in kernel.collect("register_reports",
                                                        kernel.enabled("default"))}
        actor = kernel.actor_for(User.get_by_id(user.id), "default") if user else None
        with acting_as(actor):
            return found[key]["run"](START, END, params or {})


def deal(client, **values):
    response = client.post("/api/v1/sales/deals", json={
        "title": "x", "pipeline_id": 1, "stage": "qualified", "amount": "1000", **values})
    assert response.status_code == 201, response.json
    return response.json


def test_sales_offers_four_documented_definitions(app):
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        found = [(plugin, d) for plugin, d in kernel.collect("register_reports",
                                                             kernel.enabled("default"))]
    assert [d["key"] for _, d in found] == [
        "sales.pipeline_by_stage", "sales.won_lost_by_reason", "sales.activities_by_owner",
        "sales.lead_sources"]
    for plugin, d in found:
        assert plugin == "sales" and callable(d["run"])
        assert d["label"]["fa"] and d["label"]["en"] and d["description"]["fa"]
        assert d["permission"].startswith("sales.") and d["columns"]
        assert all({"key", "type", "label"} <= set(c) for c in d["columns"])


def test_pipeline_by_stage(app):
    admin = app.test_client()
    soon = (TODAY + datetime.timedelta(days=10)).isoformat()
    deal(admin, expected_close=soon, amount="1000")
    deal(admin, expected_close=soon, amount="3000", stage="proposal", probability=50)
    deal(admin, expected_close=soon, amount="500", stage="proposal")
    deal(admin, expected_close=(END + datetime.timedelta(days=5)).isoformat())     # later
    deal(admin, amount="9")                                                        # undated
    rows = run(app, "sales.pipeline_by_stage")
    assert [(r["stage"], r["deals"], r["amount"], r["weighted"]) for r in rows] == [
        ("qualified", 1, "1000", "100"),          # the stage's 10 %
        ("proposal", 2, "3500", "1700")]          # 3000 × 50 % + 500 × 40 %
    assert rows[0]["stage_label"] == "Qualified" and rows[0]["currency"] == "IRR"
    assert run(app, "sales.pipeline_by_stage", params={"pipeline_id": 999}) == []


def test_won_and_lost_by_reason(app):
    admin = app.test_client()
    for status, reason, amount in (("won", "price", "100"), ("won", "price", "200"),
                                   ("lost", "competitor", "50"), ("won", None, "7")):
        d = deal(admin, amount=amount)
        body = {"status": status, **({f"{status}_reason": reason} if reason else {})}
        assert admin.post(f"/api/v1/sales/deals/{d['id']}/move", json=body).status_code == 200
    rows = run(app, "sales.won_lost_by_reason")
    assert [(r["status"], r["reason"], r["deals"], r["amount"]) for r in rows] == [
        ("won", "price", 2, "300"), ("won", None, 1, "7"), ("lost", "competitor", 1, "50")]
    assert rows[0]["reason_label"] == "Price"


def test_activities_by_owner_and_lead_sources_follow_the_viewers_scope(app):
    admin = app.test_client()
    reza = make_user_client(app, "reza", ("salesperson",))
    sara = make_user_client(app, "sara", ("salesperson",))
    due = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=2)).isoformat()
    later = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=3)).isoformat()
    for client, kind, status, when in ((reza, "call", "done", due), (reza, "call", "open", due),
                                       (reza, "meeting", "open", later),
                                       (sara, "task", "open", later)):
        response = client.post("/api/v1/sales/activities", json={
            "subject": "کار", "kind": kind, "status": status, "due_at": when})
        assert response.status_code == 201, response.json
    everyone = run(app, "sales.activities_by_owner")
    assert [(r["owner"], r["activities"], r["done"], r["open"], r["overdue"], r["call"],
             r["meeting"], r["task"]) for r in everyone] == [
        ("reza", 3, 1, 2, 1, 2, 1, 0), ("sara", 1, 0, 1, 0, 0, 0, 1)]
    mine = run(app, "sales.activities_by_owner", user=reza.peyvand_user)
    assert [r["owner"] for r in mine] == ["reza"]

    for client, source in ((reza, "web_form"), (reza, "web_form"), (sara, "event")):
        assert client.post("/api/v1/sales/leads", json={
            "last_name": "سرنخ", "source": source}).status_code == 201
    first = admin.get("/api/v1/sales/leads?source=web_form&limit=1").json["data"][0]
    admin.post(f"/api/v1/sales/leads/{first['id']}/convert", json={"create_deal": False})
    rows = run(app, "sales.lead_sources")
    assert [(r["source"], r["leads"], r["converted"], r["conversion_rate"]) for r in rows] == [
        ("web_form", 2, 1, 0.5), ("event", 1, 0, 0.0)]
    assert rows[0]["source_label"] == "Web form"
    assert [r["source"] for r in run(app, "sales.lead_sources", user=sara.peyvand_user)] == \
        ["event"]


def test_the_reports_run_through_the_sales_api_too(app):
    admin = app.test_client()
    seller = make_user_client(app, "seller", ("salesperson",))
    deal(seller, expected_close=(TODAY + datetime.timedelta(days=3)).isoformat())
    listed = [r["key"] for r in seller.get("/api/v1/sales/reports").json["data"]]
    assert "sales.pipeline_by_stage" in listed and "run" not in str(listed)
    url = (f"/api/v1/sales/reports/sales.pipeline_by_stage?start={START.isoformat()}"
           f"&end={END.isoformat()}")
    answer = admin.get(url).json
    assert answer["rows"][0]["deals"] == 1 and answer["period"]["start"] == START.isoformat()
    assert [c["key"] for c in answer["columns"]][:2] == ["pipeline", "stage_label"]
    # a role that hides amounts gets the rows without them, and no amount columns
    document = admin.get("/api/v1/roles").json
    for role in document["roles"]:
        if role["key"] == "salesperson":
            role.setdefault("field_rules", {}).setdefault("sales.deal", {})["amount"] = "hidden"
    assert admin.put("/api/v1/roles", json=document).status_code == 200
    hidden = seller.get(url).json
    assert "amount" not in hidden["rows"][0] and "amount" not in [c["key"] for c in
                                                                  hidden["columns"]]
    assert admin.get("/api/v1/sales/reports/sales.nothing").status_code == 404
    assert admin.get("/api/v1/sales/reports/sales.lead_sources?period=1403-Q9"
                     ).status_code == 422
