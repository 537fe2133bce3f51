"""Periods (Jalali and Gregorian), the weighted forecast with best/commit categories, and
targets with attainment, per salesperson and per team, as each role sees them."""

import datetime

import pytest

from peyvand_sales.periods import BadPeriod, current, parse

pytestmark = pytest.mark.peyvand_plugins("contacts", "sales")

D = datetime.date


@pytest.mark.parametrize("text,calendar,start,end", [
    ("1403-Q1", None, D(2024, 3, 20), D(2024, 6, 21)),
    ("۱۴۰۳-q2", None, D(2024, 6, 21), D(2024, 9, 22)),
    ("1403-12", None, D(2025, 2, 19), D(2025, 3, 21)),
    ("1403", None, D(2024, 3, 20), D(2025, 3, 21)),
    ("2025-Q1", None, D(2025, 1, 1), D(2025, 4, 1)),
    ("2024-Q4", None, D(2024, 10, 1), D(2025, 1, 1)),
    ("2024-02", None, D(2024, 2, 1), D(2024, 3, 1)),
    ("1403-Q4", "jalali", D(2024, 12, 21), D(2025, 3, 21)),
])
def test_periods(text, calendar, start, end):
    period = parse(text, calendar)
    assert (period.start, period.end) == (start, end)


def test_bad_periods_and_the_current_one():
    for text in ("2025-Q5", "1403-13", "Q1", "", "2025-1"):
        with pytest.raises(BadPeriod):
            parse(text)
    assert current("quarter", "jalali", D(2024, 7, 1)).key == "1403-Q2"
    assert current("month", "gregorian", D(2024, 7, 1)).key == "2024-07"
    assert current("year", "jalali", D(2025, 3, 20)).key == "1403"


IN_Q2 = "2024-07-15"          # Tir 1403: inside 1403-Q2 and 2024-Q3


def _deal(client, amount, stage="proposal", **extra):
    response = client.post("/api/v1/sales/deals", json={
        "title": f"deal {amount}", "pipeline_id": 1, "stage": stage, "amount": str(amount),
        "expected_close": IN_Q2, **extra})
    assert response.status_code == 201, response.json
    return response.json


@pytest.fixture
def sales_floor(peyvand_app, peyvand_client, peyvand_login):
    """Two sellers in team north (with a manager), one in south, deals in 1403-Q2."""
    from peyvand_sales.models import Deal

    north_a = peyvand_login("salesperson", team="north", name="ali")
    north_b = peyvand_login("salesperson", team="north", name="bita")
    south = peyvand_login("salesperson", team="south", name="cyrus")
    manager = peyvand_login("manager", team="north", name="mina")
    _deal(north_a, 1000, forecast_category="commit")                    # 40%: 400
    _deal(north_a, 2000, "negotiation", forecast_category="best_case")  # 70%: 1400
    _deal(north_a, 500, probability=100)                                # pipeline: 500
    _deal(north_a, 9999, forecast_category="omitted")
    _deal(north_a, 777, expected_close="2024-10-01")                    # next quarter
    _deal(north_a, 55, currency="USD")
    won = _deal(north_a, 3000)
    north_a.patch(f"/api/v1/sales/deals/{won['id']}", json={"status": "won"})
    _deal(north_b, 100, "qualified")                                    # 10%: 10
    _deal(south, 5000, forecast_category="commit")                      # 40%: 2000
    kernel = peyvand_app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        Deal.update(closed_at=datetime.datetime(2024, 7, 20, 10)).where(
            Deal.id == won["id"]).execute()
    users = {c.peyvand_user.name: c.peyvand_user.id for c in (north_a, north_b, south)}
    return {"a": north_a, "b": north_b, "south": south, "manager": manager, "ids": users,
            "admin": peyvand_client}


def _rows(response, key="owner_id"):
    assert response.status_code == 200, response.json
    return {r[key]: r for r in response.json["rows"]}


def test_weighted_forecast_with_categories_and_attainment(sales_floor):
    admin, ids = sales_floor["admin"], sales_floor["ids"]
    saved = admin.put("/api/v1/sales/targets", json={"period": "1403-Q2", "targets": [
        {"user_id": ids["ali"], "amount": "6000"}]})
    assert saved.status_code == 200, saved.json
    forecast = admin.get("/api/v1/sales/forecast?period=1403-Q2")
    rows = _rows(forecast)
    ali = rows[ids["ali"]]
    assert ali["won"] == {"count": 1, "amount": "3000"}
    assert ali["commit"] == {"count": 1, "amount": "1000"}
    assert ali["best_case"] == {"count": 1, "amount": "2000"}
    assert ali["pipeline"] == {"count": 1, "amount": "500"}
    assert ali["weighted"] == "2300"
    assert (ali["forecast_commit"], ali["forecast_best"]) == ("4000", "6000")
    assert (ali["target"], ali["attainment"]) == ("6000", 0.5)
    assert rows[ids["bita"]]["weighted"] == "10" and rows[ids["bita"]]["target"] is None
    body = forecast.json
    assert body["period"] == {"key": "1403-Q2", "calendar": "jalali", "kind": "quarter",
                              "start": "2024-06-21", "end": "2024-09-21"}
    assert body["totals"]["weighted"] == "4310"
    assert body["totals"]["commit"] == {"count": 2, "amount": "6000"}
    assert body["totals"]["forecast_commit"] == "9000"
    usd = _rows(admin.get("/api/v1/sales/forecast?period=1403-Q2&currency=USD"))
    assert usd[ids["ali"]]["pipeline"]["amount"] == "55"
    gregorian = admin.get("/api/v1/sales/forecast?period=2024-Q3").json
    assert gregorian["totals"] == body["totals"]
    assert admin.get("/api/v1/sales/forecast?period=1403-Q9").status_code == 422
    assert admin.get("/api/v1/sales/forecast").json["period"]["calendar"] == "jalali"


def test_each_role_forecasts_only_the_deals_it_may_read(sales_floor):
    ids = sales_floor["ids"]
    sales_floor["admin"].put("/api/v1/sales/targets", json={"period": "1403-Q2", "targets": [
        {"user_id": ids["ali"], "amount": "6000"}, {"user_id": ids["cyrus"], "amount": "1"}]})
    managed = _rows(sales_floor["manager"].get("/api/v1/sales/forecast?period=1403-Q2"))
    assert set(managed) == {ids["ali"], ids["bita"]}
    assert managed[ids["ali"]]["target"] == "6000"       # a person of the manager's team
    own = _rows(sales_floor["b"].get("/api/v1/sales/forecast?period=1403-Q2"))
    assert set(own) == {ids["bita"]}
    targets = sales_floor["b"].get("/api/v1/sales/targets?period=1403-Q2").json["data"]
    assert targets == []
    mine = sales_floor["south"].get("/api/v1/sales/targets").json["data"]
    assert [(t["user_id"], t["amount"]) for t in mine] == [(ids["cyrus"], "1")]


def test_team_forecast_and_team_targets(sales_floor):
    manager, admin = sales_floor["manager"], sales_floor["admin"]
    north = sales_floor["a"].get("/api/v1/sales/deals?limit=1").json["data"][0]["team_id"]
    refused = manager.put("/api/v1/sales/targets", json={"period": "1403-Q2", "targets": [
        {"user_id": sales_floor["ids"]["ali"], "amount": "1"}]})
    assert refused.status_code == 403
    assert sales_floor["a"].put("/api/v1/sales/targets", json={
        "period": "1403-Q2", "targets": [{"team_id": north, "amount": "1"}]}).status_code == 403
    set_ = manager.put("/api/v1/sales/targets", json={"period": "1403-Q2", "targets": [
        {"team_id": north, "amount": "10000"}]})
    assert set_.status_code == 200, set_.json
    teams = _rows(admin.get("/api/v1/sales/forecast?period=1403-Q2&by=team"), "team_id")
    assert teams[north]["won"]["amount"] == "3000"
    assert (teams[north]["target"], teams[north]["attainment"]) == ("10000", 0.3)
    assert len(teams) == 2
    assert admin.put("/api/v1/sales/targets", json={"period": "1403-Q2", "targets": [
        {"team_id": north, "amount": None}]}).status_code == 200
    assert admin.get("/api/v1/sales/targets?period=1403-Q2").json["data"] == []
    bad = admin.put("/api/v1/sales/targets", json={"period": "1403-Q2", "targets": [
        {"user_id": 1, "team_id": 2, "amount": "5"}]})
    assert bad.status_code == 422

