"""One engine on every path: scopes, field rules, tokens, explain, and the generated matrix."""

import json

import pytest

from peyvand.identity import create_token, get_user
from peyvand.permissions import ACTIONS, DEFAULT_GRANTS
from peyvand_sdk import hookimpl

pytestmark = pytest.mark.peyvand_plugins("contacts", "sales")

PEOPLE = "/api/v1/contacts/persons"


def make_person(client, name):
    response = client.post(PEOPLE, json={"last_name": name})
    assert response.status_code == 201, response.json
    return response.json["id"]


def names(client, url=PEOPLE):
    return sorted(r["last_name"] for r in client.get(url + "?limit=500").json["data"])


def test_without_a_token_the_api_answers_401(peyvand_client):
    response = peyvand_client.get(PEOPLE, headers={"Authorization": ""})
    assert response.status_code == 401
    assert "peyvand tokens create" in response.json["message"]
    bad = peyvand_client.get(PEOPLE, headers={"Authorization": "Bearer pv_1_nope"})
    assert bad.status_code == 401


def test_salesperson_sees_and_edits_only_their_own_records(peyvand_login):
    reza, sara = peyvand_login("salesperson", "tehran"), peyvand_login("salesperson", "tehran")
    mine = make_person(reza, "Reza's customer")
    theirs = make_person(sara, "Sara's customer")
    assert names(reza) == ["Reza's customer"]
    assert reza.get(f"{PEOPLE}/{theirs}").status_code == 404  # existence does not leak
    assert reza.patch(f"{PEOPLE}/{theirs}", json={"city": "x"}).status_code == 404
    assert reza.delete(f"{PEOPLE}/{theirs}").status_code == 404
    assert reza.patch(f"{PEOPLE}/{mine}", json={"city": "تهران"}).status_code == 200
    assert reza.get(PEOPLE + "?total=1").json["total"] == 1


def test_manager_sees_their_team_and_its_sub_teams(peyvand_app, peyvand_login):
    from peyvand.identity import create_team

    kernel = peyvand_app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        create_team("sales")
        create_team("sales-north", parent="sales")
        create_team("support-desk")
    kernel.bump_generation()
    manager = peyvand_login("manager", "sales")
    north = peyvand_login("salesperson", "sales-north")
    elsewhere = peyvand_login("salesperson", "support-desk")
    make_person(north, "north")
    make_person(elsewhere, "elsewhere")
    make_person(manager, "manager's own")
    assert names(manager) == ["manager's own", "north"]


def test_readonly_reads_everything_and_writes_nothing(peyvand_client, peyvand_login):
    make_person(peyvand_client, "existing")
    reader = peyvand_login("readonly")
    assert names(reader) == ["existing"]
    refused = reader.post(PEOPLE, json={"last_name": "new"})
    assert refused.status_code == 403 and "may not create contacts.person" in refused.json[
        "message"]


def test_a_users_access_is_the_union_of_their_roles(peyvand_app):
    from peyvand_sdk.testing import make_user_client

    admin = peyvand_app.test_client()
    make_person(admin, "someone else's")
    both = make_user_client(peyvand_app, "dual", ("salesperson", "readonly"))
    assert names(both) == ["someone else's"]              # read: all (readonly)
    assert both.post(PEOPLE, json={"last_name": "mine"}).status_code == 201  # create: own


def test_hidden_fields_never_appear_and_read_only_fields_refuse_writes(peyvand_client,
                                                                       peyvand_login):
    assert peyvand_client.put("/api/v1/roles", json={"format": "peyvand.roles/1", "roles": [
        {"key": "salesperson",
         "grants": {f"contacts.person.{a}": "own" for a in ("read", "create", "update")},
         "field_rules": {"contacts.person": {"national_id": "hidden", "email": "read"}}},
    ]}).status_code == 200
    seller = peyvand_login("salesperson")
    created = seller.post(PEOPLE, json={"last_name": "Karimi"})
    assert created.status_code == 201 and "national_id" not in created.json
    url = created.headers["Location"]
    assert peyvand_client.patch(url, json={"national_id": "0499370899",
                                           "email": "a@b.ir"}).status_code == 200
    shown = seller.get(url).json
    assert "national_id" not in shown and shown["email"] == "a@b.ir"
    assert all("national_id" not in row for row in seller.get(PEOPLE).json["data"])
    assert seller.get(PEOPLE + "?national_id=0499370899").status_code == 422  # no probing
    refused = seller.patch(url, json={"email": "changed@b.ir", "city": "Qom"})
    assert refused.status_code == 422
    assert refused.json == {"errors": {"email": ["read-only for your role"]}}
    assert peyvand_client.get(url).json["email"] == "a@b.ir"
    assert peyvand_client.get(url).json["city"] is None  # nothing of the refused write stayed


def test_token_scopes_expiry_and_revocation(peyvand_app):
    import datetime

    from peyvand.identity import Token, create_user, revoke_token

    kernel = peyvand_app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        user = create_user("boss", roles=("admin", "readonly"))
        narrow = create_token(user, roles=("readonly",))
        expiring = create_token(user, days=1)
        Token.update(expires_at=datetime.datetime(2000, 1, 1)).where(
            Token.id == int(expiring.split("_")[1])).execute()
        revoked = create_token(user)
    client = peyvand_app.test_client()

    def call(token, method="get", **kw):
        return getattr(client, method)(PEOPLE, headers={"Authorization": f"Bearer {token}"},
                                       **kw)

    assert call(narrow).status_code == 200
    assert call(narrow, "post", json={"last_name": "x"}).status_code == 403
    assert call(expiring).status_code == 401
    assert call(revoked).status_code == 200
    with kernel.storage.bound("default"):
        revoke_token(int(revoked.split("_")[1]))
    kernel.bump_generation()
    assert call(revoked).status_code == 401


def test_a_token_cannot_widen_its_users_roles(peyvand_app):
    from peyvand.identity import IdentityError, create_user

    kernel = peyvand_app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        user = create_user("seller", roles=("salesperson",))
        with pytest.raises(IdentityError, match="can only narrow"):
            create_token(user, roles=("admin",))


def test_disabling_a_user_ends_their_tokens_at_once(peyvand_login, peyvand_cli):
    seller = peyvand_login("salesperson", name="leaving")
    assert seller.get(PEOPLE).status_code == 200
    assert peyvand_cli("users", "disable", "leaving").exit_code == 0
    assert seller.get(PEOPLE).status_code == 401


def test_explain_names_the_deciding_or_missing_grant(peyvand_client, peyvand_login):
    seller = peyvand_login("salesperson", name="explained")
    record_id = make_person(peyvand_client, "admin's")
    allowed = peyvand_client.get("/api/v1/permissions/explain?user=explained&action=read"
                                 "&entity=contacts.person").json
    assert allowed["allowed"] is True
    assert allowed["grant"] == {"role": "salesperson", "permission": "contacts.person.read",
                                "scope": "own"}
    on_record = peyvand_client.get("/api/v1/permissions/explain?user=explained&action=read"
                                   f"&entity=contacts.person&id={record_id}").json
    assert on_record["allowed"] is False and "does not cover record" in on_record["reason"]
    export = peyvand_client.get("/api/v1/permissions/explain?user=explained&action=export"
                                "&entity=contacts.person").json
    assert export == {"allowed": False, "grant": None, "reason": export["reason"]}
    assert "contacts.person.export" in export["reason"]
    assert seller.get("/api/v1/permissions/explain?user=explained&action=read"
                      "&entity=contacts.person").status_code == 403


def test_roles_round_trip_as_a_document_and_changes_are_audited(peyvand_client):
    document = peyvand_client.get("/api/v1/roles").json
    keys = [r["key"] for r in document["roles"]]
    assert keys == sorted(["accountant", "admin", "manager", "readonly", "salesperson",
                           "support"])
    seller = next(r for r in document["roles"] if r["key"] == "salesperson")
    assert seller["grants"]["contacts.person.read"] == "own"
    assert "contacts.person.export" not in seller["grants"]
    seller["grants"]["contacts.person.export"] = "own"
    assert peyvand_client.put("/api/v1/roles", json=document).status_code == 200
    assert peyvand_client.get("/api/v1/roles").json == document
    bad = json.loads(json.dumps(document))
    bad["roles"][0]["grants"]["contacts.person.read"] = "everything"
    refused = peyvand_client.put("/api/v1/roles", json=bad)
    assert refused.status_code == 422
    assert peyvand_client.get("/api/v1/roles").json == document  # all or nothing


def _matrix():
    """Every entity of every installed plugin, crossed with every built-in role."""
    import importlib_metadata

    for ep in sorted(importlib_metadata.entry_points(group="peyvand.plugins"),
                     key=lambda e: e.name):
        module = ep.load()
        for entity in module.register_entities() if hasattr(module, "register_entities") else []:
            for role in sorted(DEFAULT_GRANTS):
                yield ep.name, entity, role


def _linked(kernel, client, entity, payload: dict) -> dict:
    """The example with each optional link to another entity's record (a foreign key such as a
    note's ``person_id``) pointing at a record ``client`` may read: one it creates from that
    entity's example when it cannot read the one the example names (and may create one)."""
    import peewee

    by_model = {e.model: e for e in kernel.entities("default").values()}
    out = dict(payload)
    for name, value in payload.items():
        field = entity.model._meta.fields.get(name.removesuffix("_id"))
        target = by_model.get(getattr(field, "rel_model", None)) \
            if isinstance(field, peewee.ForeignKeyField) else None
        if target is None or value is None or not field.null:
            continue  # a required link (a deal's pipeline) is the shared record it names
        base = f"/api/v1/{target.plugin}/{target.plural}"
        if client.get(f"{base}/{value}").status_code == 200:
            continue
        made = client.post(base, json=dict(target.example))
        if made.status_code == 201:
            out[name] = made.json["id"]
    return out


@pytest.mark.parametrize("plugin,entity,role", list(_matrix()),
                         ids=lambda v: v if isinstance(v, str) else getattr(v, "name", v))
def test_authorization_matrix(peyvand_app, plugin, entity, role):
    """For every shipped entity and built-in role: each API path allows exactly what the
    role's grants say, and lists never show a record outside the scope."""
    from peyvand_sdk.testing import make_user_client

    kernel = peyvand_app.extensions["peyvand"]
    entity_id = f"{plugin}.{entity.name}"
    assert entity_id in kernel.entities("default"), "the matrix must cover every entity"
    url = f"/api/v1/{plugin}/{entity.plural}"
    other = make_user_client(peyvand_app, f"other-{role}", ("admin",), ("team-x",))
    user = make_user_client(peyvand_app, f"user-{role}", (role,), ("team-y",))
    assert entity.example, f"{entity_id} needs an example payload for this test"
    payload = dict(entity.example)
    foreign = other.post(url, json=_linked(kernel, other, entity, payload)).json["id"]
    payload = _linked(kernel, user, entity, payload)
    grants = DEFAULT_GRANTS[role]
    scope = {a: grants.get(a, "none") for a in ACTIONS}

    created = user.post(url, json=payload)
    assert created.status_code == (201 if scope["create"] != "none" else 403), created.json
    own_id = created.json["id"] if created.status_code == 201 else None

    listed = user.get(url + "?limit=500")
    if scope["read"] == "none":
        assert listed.status_code == 403
    else:
        ids = {r["id"] for r in listed.json["data"]}
        assert (foreign in ids) == (scope["read"] == "all")
        if own_id:
            assert own_id in ids
    read_foreign = user.get(f"{url}/{foreign}").status_code
    assert read_foreign == {"all": 200, "none": 403}.get(scope["read"], 404)
    patch_foreign = user.patch(f"{url}/{foreign}", json={}).status_code
    assert patch_foreign == {"all": 200, "none": 403}.get(scope["update"], 404)
    delete_foreign = user.delete(f"{url}/{foreign}").status_code
    assert delete_foreign == {"all": 204, "none": 403}.get(scope["delete"], 404)
    if own_id:
        expected = 204 if scope["delete"] != "none" else 403
        assert user.delete(f"{url}/{own_id}").status_code == expected
    with kernel.storage.bound("default"):
        assert get_user(f"user-{role}").is_active


def test_login_issues_a_token_and_repeated_failures_lock_the_account(peyvand_app):
    from peyvand.identity import LOCK_AFTER, create_user

    kernel = peyvand_app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        create_user("nasrin", roles=("salesperson",), password="Correct-horse-9")
    client = peyvand_app.test_client()
    anonymous = {"Authorization": ""}
    ok = client.post("/api/v1/auth/token", json={"name": "nasrin", "password": "Correct-horse-9"},
                     headers=anonymous)
    assert ok.status_code == 200
    assert client.get(PEOPLE, headers={"Authorization": f"Bearer {ok.json['token']}"}
                      ).status_code == 200
    for _ in range(LOCK_AFTER):
        wrong = client.post("/api/v1/auth/token", json={"name": "nasrin", "password": "guess-1"},
                            headers=anonymous)
        assert wrong.status_code == 401
    locked = client.post("/api/v1/auth/token",
                         json={"name": "nasrin", "password": "Correct-horse-9"},
                         headers=anonymous)
    assert locked.status_code == 401 and "too many failed logins" in locked.json["message"]


def test_repeated_failures_from_one_address_lock_that_address(peyvand_app):
    from peyvand.identity import ADDRESS_LOCK_AFTER, LoginFailure, create_user

    kernel = peyvand_app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        create_user("omid", roles=("salesperson",), password="Correct-horse-9")
        LoginFailure.insert_many([("127.0.0.1",)] * ADDRESS_LOCK_AFTER,
                                 fields=[LoginFailure.address]).execute()
    refused = peyvand_app.test_client().post(
        "/api/v1/auth/token", json={"name": "omid", "password": "Correct-horse-9"},
        headers={"Authorization": ""})
    assert refused.status_code == 401 and "from this address" in refused.json["message"]


def test_password_policy_and_cli_password_sources(peyvand_cli, monkeypatch):
    result = peyvand_cli("users", "create", "weak", "--password", "short")
    assert result.exit_code == 1 and "at least 10 characters" in result.output
    monkeypatch.delenv("PEYVAND_PASSWORD", raising=False)
    result = peyvand_cli("users", "create", "nopass", "--role", "admin")
    assert result.exit_code == 1 and "PEYVAND_PASSWORD" in result.output
    monkeypatch.setenv("PEYVAND_PASSWORD", "From-the-env-42")
    result = peyvand_cli("users", "create", "envuser", "--role", "admin")
    assert result.exit_code == 0, result.output
    assert "envuser" in peyvand_cli("users", "list").output


class ApiPlugin:
    """A plugin with one protected and one public route under /api/v1/."""

    def __init__(self):
        import flask

        from peyvand_sdk import Manifest, current_actor, public

        self.manifest = Manifest(label={"en": "Api plugin"})
        bp = flask.Blueprint("apiplugin_api", __name__, url_prefix="/api/v1/apiplugin")
        bp.add_url_rule("/whoami", "whoami", lambda: {"user": current_actor().name})
        bp.add_url_rule("/feed", "feed", public(lambda: {"public": True}))
        self._bp = bp

    @hookimpl
    def register_blueprints(self):
        return [self._bp]


def test_plugin_api_routes_are_authenticated_by_the_kernel(peyvand_app_factory):
    app = peyvand_app_factory(plugins=[], extra_plugins=[("apiplugin", ApiPlugin(), "1.0")])
    client = app.test_client()
    assert client.get("/api/v1/apiplugin/whoami").json == {"user": "admin"}
    assert client.get("/api/v1/apiplugin/whoami",
                      headers={"Authorization": ""}).status_code == 401
    assert client.get("/api/v1/apiplugin/feed", headers={"Authorization": ""}).json == {
        "public": True}


def test_disable_with_reassignment_per_entity_is_audited(peyvand_app, peyvand_cli):
    from peyvand_sdk.testing import make_user_client

    leaving = make_user_client(peyvand_app, "leaving", ("salesperson",))
    make_user_client(peyvand_app, "heir", ("salesperson",))
    person = leaving.post(PEOPLE, json={"last_name": "customer"}).json["id"]
    org = leaving.post("/api/v1/contacts/organizations", json={"name": "Co"}).json["id"]
    result = peyvand_cli("users", "disable", "leaving", "--reassign-to", "heir",
                         "--entity", "contacts.person")
    assert result.exit_code == 0, result.output
    assert "1 records reassigned to heir" in result.output
    admin = peyvand_app.test_client()
    kernel = peyvand_app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        heir_id = get_user("heir").id
        leaving_id = get_user("leaving").id
    assert admin.get(f"{PEOPLE}/{person}").json["owner_id"] == heir_id
    assert admin.get(f"/api/v1/contacts/organizations/{org}").json["owner_id"] == leaving_id
    trail = admin.get(f"/api/v1/audit?entity=contacts.person&id={person}").json["data"]
    assert trail[0]["action"] == "reassign" and trail[0]["via"] == "cli"
    bad = peyvand_cli("users", "disable", "heir", "--reassign-to", "admin", "--entity", "nope")
    assert bad.exit_code == 1 and "unknown entity nope" in bad.output
