"""A merge of people through the API re-points the sales plugin's deals (its real
``contacts_merged``), and undoing it points them back."""

import pytest

pytestmark = pytest.mark.peyvand_plugins("contacts", "sales")

STAGES = [{"key": "new", "label": {"en": "New", "fa": "جدید"}, "probability": 10}]


def test_deals_follow_the_survivor_and_come_back_on_undo(peyvand_client):
    client = peyvand_client
    pipeline = client.post("/api/v1/sales/pipelines", json={"name": "P", "stages": STAGES}).json
    a = client.post("/api/v1/contacts/persons", json={"last_name": "A"}).json["id"]
    b = client.post("/api/v1/contacts/persons", json={"last_name": "B"}).json["id"]
    deal = client.post("/api/v1/sales/deals", json={
        "title": "d", "pipeline_id": pipeline["id"], "stage": "new", "amount": "1000",
        "person_id": b})
    assert deal.status_code == 201, deal.json
    merged = client.post("/api/v1/contacts/persons/merge", json={"survivor": a, "merged": [b]})
    assert merged.status_code == 201, merged.json
    assert merged.json["repointed"] == {"sales_deal.person_id": 1}
    assert client.get(f"/api/v1/sales/deals/{deal.json['id']}").json["person_id"] == a
    client.patch(f"/api/v1/sales/deals/{deal.json['id']}", json={"title": "renamed"})
    undone = client.post(f"/api/v1/contacts/merges/{merged.json['id']}/undo")
    assert undone.status_code == 200, undone.json
    back = client.get(f"/api/v1/sales/deals/{deal.json['id']}").json
    assert back["person_id"] == b and back["title"] == "renamed"
