"""Products on deals come from another plugin (finance) through the ``deal_lines`` and
``deal_amount`` hooks sales publishes: shown with the deal, and the deal's amount follows
them. Tested with a throwaway plugin that sells products."""

import decimal

import pytest

from peyvand_sdk import Manifest, Veto, hookimpl

DEALS = "/api/v1/sales/deals"


class Shop:
    """Stands in for the finance plugin: product lines per deal, an optional rounding."""

    manifest = Manifest(label={"en": "Shop"}, requires={"sales": ">=0.1"})

    def __init__(self):
        self.lines = {}
        self.round_to = None
        self.refuse = None

    @hookimpl(optionalhook=True)
    def deal_lines(self, deal):
        return self.lines.get(deal.id, [])

    @hookimpl(optionalhook=True)
    def deal_amount(self, deal, lines):
        if self.refuse:
            raise Veto(self.refuse, field="amount")
        if self.round_to is None:
            return None
        total = sum(line["total"] for line in lines)
        return (total // self.round_to) * self.round_to


def line(product, quantity, unit_price, discount="0", tax="0"):
    total = (decimal.Decimal(quantity) * decimal.Decimal(unit_price) - decimal.Decimal(discount)
             + decimal.Decimal(tax))
    return {"product": product, "quantity": quantity, "unit_price": unit_price,
            "discount": discount, "tax": tax, "total": str(total)}


@pytest.fixture
def shop_app(peyvand_app_factory):
    shop = Shop()
    app = peyvand_app_factory(plugins=["contacts", "sales"], extra_plugins=[("shop", shop, "1.0")])
    app.shop = shop
    return app


def make_deal(client, amount="5000"):
    response = client.post(DEALS, json={"title": "کارتخوان", "pipeline_id": 1,
                                        "stage": "qualified", "amount": amount})
    assert response.status_code == 201, response.json
    return response.json


def test_a_deal_without_lines_keeps_the_amount_it_is_given(shop_app):
    client = shop_app.test_client()
    deal = make_deal(client)
    shown = client.get(f"{DEALS}/{deal['id']}/lines").json
    assert shown["lines"] == [] and shown["computed_amount"] is None
    assert client.patch(f"{DEALS}/{deal['id']}", json={"amount": "7000"}).json["amount"] == \
        "7000"


def test_lines_are_shown_and_the_amount_follows_them(shop_app):
    client = shop_app.test_client()
    deal = make_deal(client)
    shop_app.shop.lines[deal["id"]] = [
        line("کارتخوان X200", "20", "60000000", tax="108000000"),
        line("نصب و راه‌اندازی", "1", "5000000", discount="1000000")]
    shown = client.get(f"{DEALS}/{deal['id']}/lines").json
    assert [(x["product"], x["plugin"], x["total"]) for x in shown["lines"]] == [
        ("کارتخوان X200", "shop", "1308000000"), ("نصب و راه‌اندازی", "shop", "4000000")]
    assert shown["totals"] == {"discount": "1000000", "tax": "108000000",
                               "total": "1312000000", "subtotal": "1205000000"}
    assert shown["computed_amount"] == "1312000000" and shown["amount"] == "5000"
    # the next save of the deal brings its amount in line with its products
    saved = client.patch(f"{DEALS}/{deal['id']}", json={"title": "۲۰ کارتخوان"})
    assert saved.status_code == 200 and saved.json["amount"] == "1312000000"
    refused = client.patch(f"{DEALS}/{deal['id']}", json={"amount": "1"})
    assert refused.status_code == 422
    assert "follows the deal's products" in refused.json["errors"]["amount"][0]
    assert client.patch(f"{DEALS}/{deal['id']}", json={"amount": "1312000000",
                                                       "stage": "proposal"}).status_code == 200


def test_the_finance_plugin_computes_or_refuses_the_amount(shop_app):
    client = shop_app.test_client()
    deal = make_deal(client)
    shop_app.shop.lines[deal["id"]] = [line("مشاوره", "3", "333333")]
    shop_app.shop.round_to = 1000
    assert client.get(f"{DEALS}/{deal['id']}/lines").json["computed_amount"] == "999000"
    assert client.patch(f"{DEALS}/{deal['id']}", json={"title": "x"}).json["amount"] == \
        "999000"
    shop_app.shop.refuse = "the pre-invoice is approved; the amount cannot change"
    refused = client.patch(f"{DEALS}/{deal['id']}", json={"title": "y"})
    assert refused.status_code == 422
    assert refused.json["errors"]["amount"] == [shop_app.shop.refuse]


def test_a_malformed_line_names_the_plugin(shop_app):
    client = shop_app.test_client()
    deal = make_deal(client)
    shop_app.shop.lines[deal["id"]] = [{**line("x", "2", "10"), "total": "21"}]
    response = client.get(f"{DEALS}/{deal['id']}/lines")
    assert response.status_code == 400 and "'shop'" in response.json["message"]
    assert "quantity × unit_price − discount + tax is 20" in response.json["message"]


def test_a_disabled_plugin_contributes_nothing(shop_app):
    client = shop_app.test_client()
    deal = make_deal(client)
    shop_app.shop.lines[deal["id"]] = [line("x", "1", "10")]
    assert client.get(f"{DEALS}/{deal['id']}/lines").json["computed_amount"] == "10"
    shop_app.extensions["peyvand"].disable("shop")
    assert client.get(f"{DEALS}/{deal['id']}/lines").json["lines"] == []
    assert client.patch(f"{DEALS}/{deal['id']}", json={"amount": "77"}).json["amount"] == "77"


def test_lines_need_the_right_to_see_amounts(shop_app):
    from peyvand_sdk.testing import make_user_client

    seller = make_user_client(shop_app, "seller", ("salesperson",))
    deal = make_deal(seller)
    admin = shop_app.test_client()
    document = admin.get("/api/v1/roles").json
    for role in document["roles"]:
        if role["key"] == "salesperson":
            role.setdefault("field_rules", {}).setdefault("sales.deal", {})["amount"] = "hidden"
    assert admin.put("/api/v1/roles", json=document).status_code == 200
    assert seller.get(f"{DEALS}/{deal['id']}/lines").status_code == 403
    other = make_deal(admin)
    assert seller.get(f"{DEALS}/{other['id']}/lines").status_code == 404
