"""The sales report definitions, run directly: ``GET /reports`` lists those the caller may
run, ``GET /reports/<key>?period=1403-Q2`` runs one (the same definitions a reports plugin
gets through ``register_reports``)."""

from __future__ import annotations

import datetime

from flask import jsonify, request
from werkzeug.exceptions import NotFound

from peyvand_sdk import permission_scope, require_permission

from .api import Invalid


def _public(definition: dict) -> dict:
    return {k: v for k, v in definition.items() if k != "run"}


def _period():
    from .routes_forecast import _period as forecast_period

    start, end = request.args.get("start"), request.args.get("end")
    if start or end:
        try:
            first = datetime.date.fromisoformat(start or "")
            last = datetime.date.fromisoformat(end or "")
        except ValueError:
            raise Invalid({"start": ["give start and end as dates, e.g. 2025-03-21"]}) from None
        if last < first:
            raise Invalid({"end": ["on or after start"]})
        return {"key": None, "start": first.isoformat(), "end": last.isoformat()}, \
            first, last + datetime.timedelta(days=1)
    period = forecast_period()
    return period.as_dict(), period.start, period.end


def register(bp):
    @bp.get("/reports")
    def list_reports():
        from .reports import definitions

        return jsonify({"data": [_public(d) for d in definitions()
                                 if permission_scope(d["permission"]) != "none"]})

    @bp.get("/reports/<key>")
    def run_report(key):
        """``?period=1403-Q2`` (or ``start`` and ``end`` dates, both included; default this
        Jalali quarter) and the report's parameters. Rows as the caller may see them."""
        from .reports import by_key

        definition = by_key(key)
        if definition is None:
            raise NotFound(f"no sales report {key!r}")
        require_permission(definition["permission"])
        shown, start, end = _period()
        params = {p["name"]: request.args[p["name"]] for p in definition["params"]
                  if request.args.get(p["name"]) not in (None, "")}
        try:
            rows = definition["run"](start, end, params)
        except ValueError as exc:
            raise Invalid({"_schema": [str(exc)]}) from None
        columns = [c for c in definition["columns"]
                   if not rows or any(c["key"] in row for row in rows)]
        return jsonify({"report": _public(definition), "period": shown, "columns": columns,
                        "rows": rows})
