"""The kanban board and the move endpoint: server-validated and permission-aware."""

import pytest

pytestmark = pytest.mark.peyvand_plugins("contacts", "sales")

BOARD = "/api/v1/sales/pipelines/1/board"


def deal(client, stage="qualified", amount="1000", **extra):
    response = client.post("/api/v1/sales/deals", json={
        "title": extra.pop("title", f"{stage} {amount}"), "pipeline_id": 1, "stage": stage,
        "amount": amount, **extra})
    assert response.status_code == 201, response.json
    return response.json


def columns(response):
    assert response.status_code == 200, response.json
    return {c["key"]: c for c in response.json["columns"]}


def test_board_columns_have_counts_sums_weighted_sums_and_first_cards(peyvand_client):
    for amount in ("1000", "2000", "3000"):
        deal(peyvand_client, "qualified", amount)
    deal(peyvand_client, "proposal", "500", currency="USD")
    deal(peyvand_client, "proposal", "10000", probability=100)
    lost = deal(peyvand_client, "proposal", "999")
    peyvand_client.patch(f"/api/v1/sales/deals/{lost['id']}",
                         json={"status": "lost", "lost_reason": "price"})
    board = columns(peyvand_client.get(BOARD + "?limit=2"))
    assert list(board) == ["qualified", "proposal", "negotiation", "closing"]
    qualified, proposal = board["qualified"], board["proposal"]
    assert qualified["label"] == {"en": "Qualified", "fa": "واجد شرایط"}
    assert (qualified["count"], qualified["amount"], qualified["weighted"]) == (
        3, {"IRR": "6000"}, {"IRR": "600"})
    assert [d["amount"] for d in qualified["deals"]] == ["3000", "2000"]   # newest first
    assert qualified["next_cursor"]
    rest = peyvand_client.get("/api/v1/sales/deals?pipeline_id=1&stage=qualified&status=open"
                              f"&sort=-id&limit=2&cursor={qualified['next_cursor']}").json
    assert [d["amount"] for d in rest["data"]] == ["1000"]
    assert proposal["count"] == 2        # the lost deal is off the board
    assert proposal["amount"] == {"IRR": "10000", "USD": "500"}
    assert proposal["weighted"] == {"IRR": "10000", "USD": "200"}   # override 100%, stage 40%
    assert board["closing"] == {**board["closing"], "count": 0, "deals": [],
                                "next_cursor": None}
    assert peyvand_client.get("/api/v1/sales/pipelines/99/board").status_code == 404
    assert peyvand_client.get(BOARD + "?limit=0").status_code == 422


def test_board_shows_each_user_only_the_deals_they_may_read(peyvand_client, peyvand_login):
    seller = peyvand_login("salesperson", team="north")
    other = peyvand_login("salesperson", team="south")
    manager = peyvand_login("manager", team="north")
    mine = deal(seller, amount="700")
    deal(other, amount="300")
    deal(peyvand_client, amount="100")
    assert columns(seller.get(BOARD))["qualified"]["count"] == 1
    assert [d["id"] for d in columns(seller.get(BOARD))["qualified"]["deals"]] == [mine["id"]]
    assert columns(seller.get(BOARD))["qualified"]["amount"] == {"IRR": "700"}
    assert columns(manager.get(BOARD))["qualified"]["count"] == 1    # the north team's
    assert columns(peyvand_client.get(BOARD))["qualified"]["count"] == 3
    mine_only = columns(peyvand_client.get(BOARD + f"?owner_id={seller.peyvand_user.id}"))
    assert mine_only["qualified"]["count"] == 1
    assert peyvand_login("accountant").get(BOARD).status_code == 200
    assert peyvand_client.get(BOARD, headers={"Authorization": ""}).status_code == 401


def test_hidden_amounts_stay_hidden_on_the_board(peyvand_client, peyvand_login):
    deal(peyvand_client, amount="5000")
    roles = peyvand_client.get("/api/v1/roles").json
    for role in roles["roles"]:
        if role["key"] == "readonly":
            role.setdefault("field_rules", {}).setdefault("sales.deal", {})["amount"] = "hidden"
    saved = peyvand_client.put("/api/v1/roles", json=roles)
    assert saved.status_code == 200, saved.json
    column = columns(peyvand_login("readonly").get(BOARD))["qualified"]
    assert column["count"] == 1 and "amount" not in column and "weighted" not in column
    assert "amount" not in column["deals"][0]


def test_move_is_validated_and_permission_aware(peyvand_client, peyvand_login):
    seller = peyvand_login("salesperson")
    mine = deal(seller)
    theirs = deal(peyvand_client)
    url = "/api/v1/sales/deals/{}/move"
    moved = seller.post(url.format(mine["id"]), json={"stage": "proposal"})
    assert moved.status_code == 200, moved.json
    assert moved.json["stage"] == "proposal" and moved.headers["ETag"] == '"2"'
    assert seller.post(url.format(theirs["id"]), json={"stage": "proposal"}).status_code == 404
    assert peyvand_login("readonly").post(url.format(mine["id"]),
                                          json={"stage": "closing"}).status_code == 403
    bad = seller.post(url.format(mine["id"]), json={"stage": "nowhere"})
    assert bad.status_code == 422 and "stage" in bad.json["errors"]
    stale = seller.post(url.format(mine["id"]), json={"stage": "closing", "version": 1})
    assert stale.status_code == 412
    assert seller.post(url.format(mine["id"]), json={"title": "x"}).status_code == 422
    assert seller.post(url.format(mine["id"]), json={}).status_code == 422
    won = seller.post(url.format(mine["id"]), json={"status": "won", "won_reason": "price"})
    assert won.status_code == 200 and won.json["status"] == "won"
    board = columns(seller.get(BOARD))
    assert board["proposal"]["count"] == 0 and board["qualified"]["count"] == 0
    history = seller.get(f"/api/v1/sales/deals/{mine['id']}/stages").json["data"]
    assert [h["stage"] for h in history] == ["qualified", "proposal"]
    assert seller.get(f"/api/v1/sales/deals/{theirs['id']}/stages").status_code == 404


def test_board_answers_404_when_sales_is_disabled(peyvand_app, peyvand_client):
    peyvand_app.extensions["peyvand"].disable("sales")
    assert peyvand_client.get(BOARD).status_code == 404
