"""Lead actions (qualify, disqualify, duplicates, convert) and the scoring settings."""

from __future__ import annotations

from flask import jsonify
from marshmallow import ValidationError

from .access import require, scope
from .api import Invalid, body, service, with_etag, write


def register(bp):
    @bp.post("/leads/<int:lead_id>/qualify")
    def qualify(lead_id):
        svc = service("sales.lead")
        record = write(lambda: svc.update(lead_id, {"status": "qualified"}))
        return with_etag(jsonify(svc.to_dict(record)), record)

    @bp.post("/leads/<int:lead_id>/disqualify")
    def disqualify(lead_id):
        """``{"reason": "<a key of the disqualify_reason list>"}``."""
        reason = body().get("reason")
        if not isinstance(reason, str) or not reason:
            raise Invalid({"reason": ["give a key of the disqualify_reason list"]})
        svc = service("sales.lead")
        record = write(lambda: svc.update(lead_id, {"status": "disqualified",
                                                    "disqualify_reason": reason}))
        return with_etag(jsonify(svc.to_dict(record)), record)

    @bp.get("/leads/<int:lead_id>/matches")
    def matches(lead_id):
        """Existing people with the lead's e-mail or phone (those the user may read)."""
        from .leads import visible_matches

        lead = service("sales.lead").get(lead_id)
        return jsonify({"data": visible_matches(lead)})

    @bp.post("/leads/<int:lead_id>/convert")
    def convert(lead_id):
        """Person (matched or new), organisation (matched or new) and, unless
        ``create_deal`` is false, a deal, in one transaction."""
        from .leads import convert as run

        data = body()
        return jsonify(write(lambda: run(lead_id, data)))

    @bp.get("/scoring")
    def get_scoring():
        from .scoring import describe

        if scope("sales.lead.read") == "none":
            require("sales.settings.manage", "read the lead scoring")
        return jsonify(describe())

    @bp.put("/scoring")
    def put_scoring():
        """Replace the criteria and threshold; every lead is scored again."""
        from .routes_deals import _audit_settings
        from .scoring import ScoringSchema, describe, replace, rescore_all

        require("sales.settings.manage", "edit the lead scoring")
        try:
            document = ScoringSchema().load(body())
        except ValidationError as exc:
            raise Invalid(exc.messages) from None

        def save():
            before = describe()
            replace(document)
            changed = rescore_all()
            after = describe()
            _audit_settings("scoring", {"scoring": (before, after)})
            return {**after, "rescored": changed}

        return jsonify(write(save))
