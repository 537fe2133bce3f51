"""Product lines of deals, contributed by other plugins (finance…) through the
``deal_lines`` hook, and the deal amount they imply (``deal_amount``).

Sales owns no product table: whoever sells products (the finance plugin's pre-invoice lines, a
catalogue) answers ``deal_lines(deal)``. Each line is checked and normalised here (decimal
numbers, ``total = quantity × unit_price − discount + tax``), tagged with the plugin that gave
it, and summed. When a deal has lines, its amount follows them: ``deal_amount`` (the first
plugin that answers) or else the sum of the totals; a save that sets another amount is
refused with 422 on ``amount``.
"""

from __future__ import annotations

import decimal

from peyvand_sdk import PluginError, Veto, current_kernel, current_tenant

NUMBERS = ("quantity", "unit_price", "discount", "tax", "total")
ZERO = decimal.Decimal(0)


def _relay():
    return current_kernel().hooks(current_tenant())


def _number(plugin: str, line: dict, name: str) -> decimal.Decimal:
    value = line.get(name, 0 if name in ("discount", "tax") else None)
    try:
        if value is None or isinstance(value, bool):
            raise decimal.InvalidOperation
        return decimal.Decimal(str(value))
    except (decimal.InvalidOperation, ValueError):
        raise PluginError(f"plugin {plugin!r}: deal_lines gave {name}={value!r}; use a decimal "
                          "string") from None


def _normalise(plugin: str, line) -> dict:
    if not isinstance(line, dict) or not str(line.get("product") or "").strip():
        raise PluginError(f"plugin {plugin!r}: each deal line is a dict with a 'product' name, "
                          f"not {line!r}")
    out = {"plugin": plugin, "product": str(line["product"]),
           "product_id": line.get("product_id")}
    for name in NUMBERS:
        out[name] = _number(plugin, line, name)
    expected = out["quantity"] * out["unit_price"] - out["discount"] + out["tax"]
    if expected != out["total"]:
        raise PluginError(f"plugin {plugin!r}: a deal line of {out['product']!r} has total "
                          f"{out['total']} but quantity × unit_price − discount + tax is "
                          f"{expected}")
    return out


def lines_of(deal) -> list[dict]:
    """Every enabled plugin's lines for ``deal``, normalised, in plugin order."""
    caller = _relay().deal_lines
    out = []
    # One implementation at a time, so a bad line names the plugin that gave it.
    for impl in reversed(caller.get_hookimpls()):
        given = impl.function(*[{"deal": deal}[arg] for arg in impl.argnames])
        for line in given or []:
            out.append(_normalise(impl.plugin_name, line))
    return out


def totals(lines: list[dict]) -> dict:
    sums = {name: sum((line[name] for line in lines), ZERO)
            for name in ("discount", "tax", "total")}
    sums["subtotal"] = sum((line["quantity"] * line["unit_price"] for line in lines), ZERO)
    return sums


def amount_for(deal, lines: list[dict]) -> decimal.Decimal | None:
    """The amount ``lines`` give ``deal`` (``None`` without lines)."""
    if not lines:
        return None
    answer = _relay().deal_amount(deal=deal, lines=lines)
    if answer is None:
        return totals(lines)["total"]
    try:
        return decimal.Decimal(str(answer))
    except (decimal.InvalidOperation, ValueError):
        raise PluginError(f"deal_amount answered {answer!r}; return a decimal") from None


def check_amount(record, changes: dict, setter) -> None:
    """Inside a deal's save: keep its amount equal to what its lines give."""
    if record.id is None:
        return                      # a new deal has no lines yet
    amount = amount_for(record, lines_of(record))
    if amount is None:
        return
    amount = amount.quantize(decimal.Decimal(1), rounding=decimal.ROUND_HALF_UP)
    current = decimal.Decimal(str(record.amount or 0))
    if "amount" in changes and current != amount:
        raise Veto(f"the amount follows the deal's products: {amount} {record.currency}; "
                   "change the products instead", field="amount")
    if current != amount:
        setter(record, changes, "amount", amount)


def plain(value):
    if isinstance(value, decimal.Decimal):
        return format(value.normalize(), "f") if value != value.to_integral() else \
            str(value.quantize(decimal.Decimal(1)))
    return value


def describe(deal) -> dict:
    """What ``GET /deals/<id>/lines`` answers."""
    lines = lines_of(deal)
    amount = amount_for(deal, lines)
    return {"deal_id": deal.id, "currency": deal.currency,
            "lines": [{k: plain(v) for k, v in line.items()} for line in lines],
            "totals": {k: plain(v) for k, v in totals(lines).items()},
            "amount": plain(decimal.Decimal(str(deal.amount or 0))),
            "computed_amount": plain(amount) if amount is not None else None}
