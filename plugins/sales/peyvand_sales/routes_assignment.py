"""Lead assignment rules (admins) and handing a lead over to be assigned by them."""

from __future__ import annotations

from flask import jsonify
from marshmallow import ValidationError

from .access import require
from .api import Invalid, body, service, write


def register(bp):
    @bp.get("/assignment-rules")
    def get_assignment_rules():
        """The rules in order, their turn state, and the users passed over (on leave)."""
        from .assignment import describe

        require("sales.assignment.manage", "see the lead assignment rules")
        return jsonify(describe())

    @bp.put("/assignment-rules")
    def put_assignment_rules():
        """Replace the rules (in order; a rule with its ``id`` keeps its turn, rules left out
        are deleted) and the skipped users. Audited."""
        from .assignment import RulesSchema, check, describe, replace
        from .routes_deals import _audit_settings
        from .rules import utcnow

        require("sales.assignment.manage", "change the lead assignment rules")
        try:
            document = RulesSchema().load(body())
        except ValidationError as exc:
            raise Invalid(exc.messages) from None
        errors = check(document)
        if errors:
            raise Invalid(errors)

        def save():
            before = describe()
            replace(document, utcnow())
            after = describe()
            _audit_settings("assignment", {"assignment": (before, after)})
            return after

        return jsonify(write(save))

    @bp.post("/leads/capture")
    def capture_lead():
        """Create a lead for someone else to work on (a website backend, an SMS gateway…):
        the body of ``POST /leads``; the assignment rules choose its owner instead of the
        caller, who needs ``sales.lead.create``. Answers the lead as created (201)."""
        from .assignment import intake

        svc = service("sales.lead")
        data = body()

        def create():
            with intake():
                return svc.create(data, via="api")

        record = write(create)
        response = jsonify(svc.to_dict(record))
        response.status_code = 201
        return response
