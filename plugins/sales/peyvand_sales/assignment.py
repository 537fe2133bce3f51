"""Lead assignment rules: who gets a new lead that has no owner.

A lead created without an owner — from a public lead form, by ``POST /api/v1/sales/leads/
capture`` (an integration hands a lead over for someone to work on), or by system work such as
an import with no acting user — is given to someone by the rules, in order:

* the first **active** rule whose conditions all hold wins. Conditions are lists of accepted
  values of ``source``, ``type`` (exact keys), ``city``, ``region`` and ``product_interest``
  (compared as people read them: Arabic ي/ك and Persian ی/ک, spacing, case and digits do not
  matter); a field left out accepts anything, so a rule without conditions catches every lead;
* the rule's users take turns (round robin) in the order listed; a rule that lists no users
  takes the active members of its team (and of the teams below it), by id;
* disabled users, and users an admin marked as skipped (on leave: ``skipped_user_ids``), are
  passed over; a rule none of whose users can take the lead is passed over too;
* the lead's team is the rule's team, else the new owner's primary team.

The turn is kept in the rule's row (``last_user_id``, ``turns``) and advanced under the row's
lock, taken by an ``UPDATE`` before the state is read: concurrent creates queue on it (the row
lock on PostgreSQL, the write lock on SQLite), so each gets the next user and none is skipped
or given twice. A lead no rule matches keeps no owner (those with the ``all`` scope see it).
"""

from __future__ import annotations

import contextvars
import json
from contextlib import contextmanager

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from peyvand_sdk import find_teams, find_users, tenant_db

from .models import AssignmentRule, Setting

CONDITION_FIELDS = ("source", "type", "city", "region", "product_interest")
FOLDED = frozenset({"city", "region", "product_interest"})
SKIPPED_KEY = "assignment_skipped_users"
MAX_RULES = 100


class AssignToSchema(Schema):
    user_ids = fields.List(fields.Integer(), load_default=list,
                           validate=validate.Length(max=200))
    team_id = fields.Integer(allow_none=True, load_default=None)

    @validates_schema
    def _someone(self, data, **kwargs):
        if not data.get("user_ids") and data.get("team_id") is None:
            raise ValidationError("give user_ids (taking turns in that order) or a team_id "
                                  "(its members take turns)", "user_ids")
        ids = data.get("user_ids") or []
        if len(ids) != len(set(ids)):
            raise ValidationError("each user once", "user_ids")


class RuleSchema(Schema):
    id = fields.Integer(allow_none=True, metadata={
        "description": "An existing rule's id keeps its turn; leave it out for a new rule."})
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    active = fields.Boolean(load_default=True)
    when = fields.Dict(keys=fields.String(validate=validate.OneOf(CONDITION_FIELDS)),
                       values=fields.List(fields.String(validate=validate.Length(
                           min=1, max=100)), validate=validate.Length(min=1, max=500)),
                       load_default=dict)
    assign_to = fields.Nested(AssignToSchema, required=True)
    notify = fields.Boolean(load_default=True, metadata={
        "description": "Give the new owner a follow-up activity and emit lead-assigned."})


class RulesSchema(Schema):
    rules = fields.List(fields.Nested(RuleSchema), required=True,
                        validate=validate.Length(max=MAX_RULES))
    skipped_user_ids = fields.List(fields.Integer(), load_default=list)


def _fold(value) -> str:
    from peyvand_contacts.text import fold

    return fold(str(value))


def _loads(text, default):
    try:
        return json.loads(text) if text else default
    except ValueError:
        return default


def skipped_users() -> list[int]:
    row = Setting.get_or_none(Setting.key == SKIPPED_KEY)
    return sorted(_loads(row.value, [])) if row else []


def rule_dict(rule: AssignmentRule) -> dict:
    return {"id": rule.id, "name": rule.name, "active": rule.active,
            "when": _loads(rule.conditions, {}),
            "assign_to": {"user_ids": _loads(rule.user_ids, []), "team_id": rule.team_id},
            "notify": rule.notify,
            "state": {"last_user_id": rule.last_user_id, "turns": rule.turns}}


def rules(active_only: bool = False) -> list[AssignmentRule]:
    query = AssignmentRule.select().order_by(AssignmentRule.position, AssignmentRule.id)
    if active_only:
        query = query.where(AssignmentRule.active)
    return list(query)


def describe() -> dict:
    return {"rules": [rule_dict(r) for r in rules()], "skipped_user_ids": skipped_users()}


def check(document: dict) -> dict:
    """``{field: [message]}`` for users, teams and rule ids that do not exist (empty if
    none)."""
    errors: dict = {}
    wanted_users = set(document.get("skipped_user_ids") or [])
    wanted_teams = set()
    for rule in document["rules"]:
        wanted_users |= set(rule["assign_to"].get("user_ids") or [])
        if rule["assign_to"].get("team_id") is not None:
            wanted_teams.add(rule["assign_to"]["team_id"])
    users = {u["id"] for u in find_users(wanted_users, active_only=False)}
    teams = {t["id"] for t in find_teams(wanted_teams)}
    existing = {r.id for r in rules()}
    for i, rule in enumerate(document["rules"]):
        where = f"rules.{i}"
        unknown = sorted(set(rule["assign_to"].get("user_ids") or []) - users)
        if unknown:
            errors[f"{where}.assign_to.user_ids"] = [
                f"no user with id {', '.join(map(str, unknown))}"]
        team = rule["assign_to"].get("team_id")
        if team is not None and team not in teams:
            errors[f"{where}.assign_to.team_id"] = [f"no team with id {team}"]
        if rule.get("id") is not None and rule["id"] not in existing:
            errors[f"{where}.id"] = [f"no rule with id {rule['id']}; leave id out for a new "
                                     "rule"]
    ids = [r["id"] for r in document["rules"] if r.get("id") is not None]
    if len(ids) != len(set(ids)):
        errors["rules"] = ["each rule id once"]
    unknown = sorted(set(document.get("skipped_user_ids") or []) - users)
    if unknown:
        errors["skipped_user_ids"] = [f"no user with id {', '.join(map(str, unknown))}"]
    return errors


def replace(document: dict, now) -> None:
    """Store a validated, checked document: rules in the order given (those with an ``id``
    keep their turn; rules left out are deleted) and the skipped users."""
    keep = {r["id"] for r in document["rules"] if r.get("id") is not None}
    AssignmentRule.delete().where(AssignmentRule.id.not_in(sorted(keep) or [0])).execute()
    for position, rule in enumerate(document["rules"]):
        values = {"position": position, "name": rule["name"], "active": rule["active"],
                  "conditions": json.dumps(rule.get("when") or {}, ensure_ascii=False,
                                           sort_keys=True),
                  "user_ids": json.dumps(rule["assign_to"].get("user_ids") or []),
                  "team_id": rule["assign_to"].get("team_id"), "notify": rule["notify"],
                  "updated_at": now}
        if rule.get("id") is not None:
            AssignmentRule.update(**values).where(AssignmentRule.id == rule["id"]).execute()
        else:
            AssignmentRule.create(created_at=now, **values)
    skipped = json.dumps(sorted(set(document.get("skipped_user_ids") or [])))
    (Setting.insert(key=SKIPPED_KEY, value=skipped)
     .on_conflict(conflict_target=[Setting.key], update={Setting.value: skipped}).execute())


# -- choosing the owner ------------------------------------------------------------------------

def matches(rule: AssignmentRule, lead) -> bool:
    """Whether every condition of ``rule`` holds for ``lead``."""
    for name, accepted in _loads(rule.conditions, {}).items():
        value = getattr(lead, name, None)
        if value in (None, ""):
            return False
        if name in FOLDED:
            if _fold(value) not in {_fold(a) for a in accepted}:
                return False
        elif str(value) not in {str(a) for a in accepted}:
            return False
    return True


def turn_order(rule: AssignmentRule) -> list[int]:
    """The users of ``rule`` in turn order (disabled ones included: the turn passes them)."""
    listed = _loads(rule.user_ids, [])
    if listed:
        return [int(i) for i in listed]
    if rule.team_id is None:
        return []
    return [u["id"] for u in find_users(team_id=rule.team_id, active_only=False)]


def eligible(order: list[int], skipped: set[int]) -> dict[int, dict]:
    """``{user id: user}`` of those in ``order`` who may take a lead now."""
    return {u["id"]: u for u in find_users(order) if u["id"] not in skipped}


def _take_turn(rule_id: int, order: list[int], available) -> int:
    """The next available user after the rule's last one, advancing the rule's state under
    its row lock."""
    with tenant_db.atomic():
        # The UPDATE takes the lock before the state is read, so concurrent creates queue.
        (AssignmentRule.update(turns=AssignmentRule.turns + 1)
         .where(AssignmentRule.id == rule_id).execute())
        last = (AssignmentRule.select(AssignmentRule.last_user_id)
                .where(AssignmentRule.id == rule_id).scalar())
        start = order.index(last) + 1 if last in order else 0
        chosen = next(order[(start + i) % len(order)] for i in range(len(order))
                      if order[(start + i) % len(order)] in available)
        (AssignmentRule.update(last_user_id=chosen)
         .where(AssignmentRule.id == rule_id).execute())
    return chosen


def choose(lead) -> tuple[AssignmentRule, dict] | None:
    """``(rule, user)`` that gets ``lead`` by the rules (the turn is taken), or ``None``."""
    skipped = set(skipped_users())
    for rule in rules(active_only=True):
        if not matches(rule, lead):
            continue
        order = turn_order(rule)
        available = eligible(order, skipped)
        if not available:
            continue
        user_id = _take_turn(rule.id, order, available)
        return rule, available[user_id]
    return None


# -- leads handed over (a form, the capture endpoint) ------------------------------------------

_intake = contextvars.ContextVar("peyvand_sales_intake", default=None)


@contextmanager
def intake(*, owner_id: int | None = None, team_id: int | None = None, form=None,
           notify: bool = True):
    """Inside this block a lead created through the record service is handed over rather
    than owned by whoever creates it: ``owner_id`` (a form's default owner) or else the rules
    pick the owner; ``team_id`` (a form's default team) sets the team."""
    token = _intake.set({"owner_id": owner_id, "team_id": team_id, "form": form,
                         "notify": notify})
    try:
        yield
    finally:
        _intake.reset(token)


def current_intake() -> dict | None:
    return _intake.get()


def assign_new_lead(record, changes: dict, setter) -> None:
    """On a lead's creation (inside ``before_record_save``, after every check): an owner from
    the intake, else from the rules when it has none. Marks the record for
    :func:`after_create` to notify the owner."""
    handed = current_intake()
    rule = None
    if handed is not None:
        owner = handed["owner_id"]
        if owner is not None and (owner in skipped_users() or not find_users([owner])):
            owner = None        # on leave or disabled: the rules pick someone else
        setter(record, changes, "owner_id", owner)
        setter(record, changes, "team_id", handed["team_id"])
    if record.owner_id is None:
        picked = choose(record)
        if picked is not None:
            rule, user = picked
            setter(record, changes, "owner_id", user["id"])
            if record.team_id is None:
                setter(record, changes, "team_id", rule.team_id if rule.team_id is not None
                       else user["primary_team_id"])
    elif handed is not None and record.team_id is None:
        owner = find_users([record.owner_id])
        setter(record, changes, "team_id", owner[0]["primary_team_id"] if owner else None)
    if record.owner_id is not None and (rule is not None or handed is not None):
        notify = rule.notify if rule is not None else True
        if handed is not None:
            notify = notify and handed["notify"]
        record._sales_assigned = {"rule": rule, "form": handed and handed["form"],
                                  "notify": notify}


def after_create(record) -> None:
    """Tell the new owner of a handed-over lead: the ``lead-assigned`` event (the email plugin
    mails it) and, unless switched off, a follow-up activity in their "my work" inbox."""
    assigned = getattr(record, "_sales_assigned", None)
    if assigned is None:
        return
    from .notify import lead_assigned

    lead_assigned(record, assigned["rule"], assigned["form"], assigned["notify"])
