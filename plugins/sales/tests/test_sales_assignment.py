"""Lead assignment rules: ordered, first match wins, round robin among a rule's users or a
team's members, skipped and disabled users passed over, the turn persisted and safe when
leads are created at the same time, and the new owner told (activity + event + audit)."""

import json
import threading

import pytest

from peyvand_sdk import acting_as
from peyvand_sdk.testing import make_user_client

pytestmark = pytest.mark.peyvand_plugins("contacts", "sales")

RULES = "/api/v1/sales/assignment-rules"
CAPTURE = "/api/v1/sales/leads/capture"


def users(app, *names, team=None):
    return [make_user_client(app, name, ("salesperson",), (team,) if team else ())
            for name in names]


def put_rules(admin, rules, skipped=()):
    response = admin.put(RULES, json={"rules": rules, "skipped_user_ids": list(skipped)})
    assert response.status_code == 200, response.json
    return response.json


def capture(client, **values):
    response = client.post(CAPTURE, json={"last_name": "مشتری", "source": "web_form",
                                          **values})
    assert response.status_code == 201, response.json
    return response.json


def test_rules_are_validated_and_only_for_admins(peyvand_app, peyvand_client, peyvand_login):
    [ali] = users(peyvand_app, "ali")
    seller = peyvand_login("salesperson")
    rule = {"name": "همه", "assign_to": {"user_ids": [ali.peyvand_user.id]}}
    assert seller.put(RULES, json={"rules": [rule]}).status_code == 403
    assert seller.get(RULES).status_code == 403
    bad = peyvand_client.put(RULES, json={"rules": [
        {"name": "x", "assign_to": {"user_ids": [999]}},
        {"name": "y", "assign_to": {"team_id": 77}},
    ], "skipped_user_ids": [555]})
    assert bad.status_code == 422
    assert bad.json["errors"] == {"rules.0.assign_to.user_ids": ["no user with id 999"],
                                  "rules.1.assign_to.team_id": ["no team with id 77"],
                                  "skipped_user_ids": ["no user with id 555"]}
    nobody = peyvand_client.put(RULES, json={"rules": [{"name": "x", "assign_to": {}}]})
    assert nobody.status_code == 422 and "user_ids" in str(nobody.json["errors"])
    field = peyvand_client.put(RULES, json={"rules": [
        {"name": "x", "when": {"colour": ["red"]}, "assign_to": rule["assign_to"]}]})
    assert field.status_code == 422
    saved = put_rules(peyvand_client, [rule])
    assert saved["rules"][0]["state"] == {"last_user_id": None, "turns": 0}
    assert peyvand_client.get(RULES).json == saved


def test_round_robin_in_the_listed_order_and_the_owners_team(peyvand_app, peyvand_client):
    a, b, c = users(peyvand_app, "a", "b", "c", team="شمال")
    ids = [u.peyvand_user.id for u in (a, b, c)]
    put_rules(peyvand_client, [{"name": "همه", "assign_to": {"user_ids": ids}}])
    owners = [capture(peyvand_client)["owner_id"] for _ in range(7)]
    assert owners == ids * 2 + ids[:1]
    lead = peyvand_client.get(f"/api/v1/sales/leads?owner_id={ids[1]}&limit=1").json["data"][0]
    assert lead["team_id"] is not None      # the owner's primary team
    state = peyvand_client.get(RULES).json["rules"][0]["state"]
    assert state == {"last_user_id": ids[0], "turns": 7}


def test_first_matching_rule_wins_with_folded_cities_and_team_members(peyvand_app,
                                                                       peyvand_client):
    [karaj] = users(peyvand_app, "karaj")
    t1, t2 = users(peyvand_app, "t1", "t2", team="فروش")
    with peyvand_app.extensions["peyvand"].storage.bound("default"):
        from peyvand_sdk import find_teams

        team_id = find_teams()[0]["id"]
    put_rules(peyvand_client, [
        {"name": "کرج از اینستاگرام", "when": {"city": ["کرج"], "source": ["web_form"]},
         "assign_to": {"user_ids": [karaj.peyvand_user.id]}},
        {"name": "کارتخوان", "when": {"product_interest": ["POS"], "type": ["sales"]},
         "assign_to": {"user_ids": [t2.peyvand_user.id]}},
        {"name": "تیم فروش", "assign_to": {"team_id": team_id}},
    ])
    # Arabic ك and extra spaces are the same city
    assert capture(peyvand_client, city=" كرج ")["owner_id"] == karaj.peyvand_user.id
    # the first rule needs both conditions
    first, second = t1.peyvand_user.id, t2.peyvand_user.id      # the team's, by id
    other_source = capture(peyvand_client, city="کرج", source="event")
    assert other_source["owner_id"] == first
    pos = capture(peyvand_client, product_interest="pos", type="sales")
    assert pos["owner_id"] == second
    team_turns = [capture(peyvand_client, city="تهران") for _ in range(3)]
    assert [lead["owner_id"] for lead in team_turns] == [second, first, second]
    assert {lead["team_id"] for lead in team_turns + [other_source]} == {team_id}


def test_skipped_and_disabled_users_are_passed_over(peyvand_app, peyvand_client, peyvand_cli):
    a, b, c = users(peyvand_app, "a", "b", "c")
    [spare] = users(peyvand_app, "spare")
    ids = [u.peyvand_user.id for u in (a, b, c)]
    rules = [{"name": "اول", "assign_to": {"user_ids": ids}},
             {"name": "پشتیبان", "assign_to": {"user_ids": [spare.peyvand_user.id]}}]
    put_rules(peyvand_client, rules, skipped=[ids[1]])
    assert peyvand_cli("users", "disable", "c").exit_code == 0
    assert {capture(peyvand_client)["owner_id"] for _ in range(4)} == {ids[0]}
    # nobody of the first rule can take leads: the next rule does
    put_rules(peyvand_client, rules, skipped=[ids[0], ids[1]])
    assert capture(peyvand_client)["owner_id"] == spare.peyvand_user.id
    # nobody at all: the lead keeps no owner
    put_rules(peyvand_client, rules, skipped=[ids[0], ids[1], spare.peyvand_user.id])
    assert capture(peyvand_client)["owner_id"] is None


def test_the_turn_survives_editing_the_rules(peyvand_app, peyvand_client):
    a, b, c = users(peyvand_app, "a", "b", "c")
    ids = [u.peyvand_user.id for u in (a, b, c)]
    saved = put_rules(peyvand_client, [{"name": "همه", "assign_to": {"user_ids": ids}}])
    assert capture(peyvand_client)["owner_id"] == ids[0]
    rule = saved["rules"][0]
    renamed = {"id": rule["id"], "name": "همه (ویرایش)", "assign_to": rule["assign_to"]}
    put_rules(peyvand_client, [{"name": "جدید", "active": False,
                                "assign_to": {"user_ids": ids[:1]}}, renamed])
    assert capture(peyvand_client)["owner_id"] == ids[1]
    unknown = peyvand_client.put(RULES, json={"rules": [dict(renamed, id=999)]})
    assert unknown.status_code == 422 and "rules.0.id" in unknown.json["errors"]


def test_leads_with_an_owner_are_not_reassigned(peyvand_app, peyvand_client, peyvand_login):
    [a] = users(peyvand_app, "a")
    put_rules(peyvand_client, [{"name": "همه", "assign_to": {"user_ids": [a.peyvand_user.id]}}])
    seller = peyvand_login("salesperson")
    own = seller.post("/api/v1/sales/leads", json={"last_name": "خودم", "source": "manual"})
    assert own.json["owner_id"] == seller.peyvand_user.id
    # system work (an import with no acting user) creates leads without an owner
    kernel = peyvand_app.extensions["peyvand"]
    service = kernel.service("sales.lead", "default")
    with kernel.storage.bound("default"), kernel.storage.database_for("default").atomic(), \
            acting_as(None):
        imported = service.create({"last_name": "درون‌ریزی", "source": "import"})
    assert imported.owner_id == a.peyvand_user.id


def test_the_new_owner_gets_a_follow_up_an_event_and_an_audit_row(peyvand_app,
                                                                   peyvand_client):
    [a] = users(peyvand_app, "a")
    put_rules(peyvand_client, [{"name": "همه", "assign_to": {"user_ids": [a.peyvand_user.id]}}])
    lead = capture(peyvand_client, first_name="نگار", last_name="حسینی")
    inbox = a.get("/api/v1/sales/my-work").json
    [task] = inbox["today"] + inbox["overdue"]
    assert task["entity"] == "sales.lead" and task["record_id"] == lead["id"]
    assert task["kind"] == "follow_up" and task["priority"] == "high"
    assert "نگار حسینی" in task["subject"] and "همه" in task["notes"]
    assert task["subject"].startswith("سرنخ جدید")        # the owner's language (Persian)
    db = peyvand_app.extensions["peyvand"].storage.database_for("default")
    rows = db.execute_sql("SELECT name, record_id, payload FROM peyvand_outbox ORDER BY id"
                          ).fetchall()
    [(name, record_id, payload)] = [r for r in rows if r[0] == "lead-assigned"]
    data = json.loads(payload)["data"]
    assert record_id == lead["id"] and data["owner_id"] == a.peyvand_user.id
    assert data["rule_id"] is not None and data["form_id"] is None and data["notify"] is True
    history = peyvand_client.get(f"/api/v1/audit?entity=sales.lead&id={lead['id']}").json
    assign = next(h for h in history["data"] if h["action"] == "assign")
    assert assign["changes"]["owner_id"] == [None, a.peyvand_user.id]
    # a rule with notify off gives the lead without a task
    rule = peyvand_client.get(RULES).json["rules"][0]
    put_rules(peyvand_client, [{"id": rule["id"], "name": "بی‌صدا", "notify": False,
                                "assign_to": rule["assign_to"]}])
    capture(peyvand_client)
    after = a.get("/api/v1/sales/my-work").json["counts"]
    assert after["today"] + after["overdue"] == 1


def test_concurrent_creates_take_turns_without_repeats(peyvand_app, peyvand_client):
    team = users(peyvand_app, "a", "b", "c")
    ids = [u.peyvand_user.id for u in team]
    put_rules(peyvand_client, [{"name": "همه", "notify": False,
                                "assign_to": {"user_ids": ids}}])
    kernel = peyvand_app.extensions["peyvand"]
    db = kernel.storage.database_for("default")
    service = kernel.service("sales.lead", "default")
    errors, barrier = [], threading.Barrier(6)

    def creator(n):
        from peyvand_sales.assignment import intake

        try:
            with kernel.storage.bound("default"):
                barrier.wait()
                for i in range(10):
                    with db.atomic(), intake():
                        service.create({"last_name": f"هم‌زمان {n}-{i}", "source": "sms"})
        except Exception as exc:  # noqa: BLE001 - the test reports any failure
            errors.append(repr(exc))
        finally:
            db.close()

    threads = [threading.Thread(target=creator, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with kernel.storage.bound("default"):
        from peyvand_sales.models import AssignmentRule, Lead

        counts = {i: Lead.select().where(Lead.owner_id == i).count() for i in ids}
        assert counts == {i: 20 for i in ids}
        assert AssignmentRule.get().turns == 60
        # strictly in turn: ordered by id, the owners cycle a, b, c, a, b, c…
        owners = [o for (o,) in Lead.select(Lead.owner_id).order_by(Lead.id).tuples()]
        assert owners == ids * 20
