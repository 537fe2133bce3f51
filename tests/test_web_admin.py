"""The admin pages through Flask's test client: plugins, users and teams, roles (permission
matrix and field rules), custom fields and the audit trail viewer."""

from __future__ import annotations

import datetime
import html
import json
import re

import pytest
from web_kit import PASSWORD, csrf, log_in, make_user, post, web_client

ADMIN_PAGES = ("/admin", "/admin/plugins", "/admin/users", "/admin/users/new", "/admin/teams",
               "/admin/roles", "/admin/roles/salesperson", "/admin/fields", "/admin/audit")


@pytest.fixture
def app(peyvand_app_factory):
    return peyvand_app_factory(plugins=["contacts", "sales"])


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _flashes(page: str) -> list[str]:
    return re.findall(r'<p class="flash flash-\w+">([^<]*)', page)


def _bound(app):
    kernel = app.extensions["peyvand"]
    return kernel, kernel.storage.bound("default")


def _audit_rows(app, entity):
    from peyvand.audit import Audit

    kernel, bound = _bound(app)
    with bound:
        return [(r.action, r.user_name, r.via, json.loads(r.changes))
                for r in Audit.select().where(Audit.entity == entity).order_by(Audit.id)]


def test_admin_pages_are_for_admins_only(app):
    admin = web_client(app, "boss")
    seller = web_client(app, "reza", roles=("salesperson",))
    for url in ADMIN_PAGES:
        assert admin.get(url).status_code == 200, url
        assert seller.get(url).status_code == 403, url
    assert 'data-nav="admin"' in _text(admin.get("/"))
    assert 'data-nav="admin"' not in _text(seller.get("/"))
    # A salesperson cannot drive an admin action with a forged POST either.
    refused = post(seller, "/admin/plugins/contacts/disable", {}, page_url="/")
    assert refused.status_code == 403
    english = web_client(app, "anna", language="en", calendar="gregorian")
    assert "Roles and permissions" in _text(english.get("/admin"))
    assert "نقش‌ها و دسترسی‌ها" in _text(admin.get("/admin"))


# -- plugins -------------------------------------------------------------------------------------

def test_plugins_disable_with_dependents_enable_refused_and_purge_typed(app):
    kernel = app.extensions["peyvand"]
    admin = web_client(app, "boss", language="en", calendar="gregorian")
    page = _text(admin.get("/admin/plugins"))
    assert 'data-plugin="sales"' in page and "contacts&gt;=" in page.replace(">=", "&gt;=")
    confirm = _text(admin.get("/admin/plugins/contacts/disable"))
    assert "These enabled plugins need it and will be disabled too: sales" in confirm
    done = post(admin, "/admin/plugins/contacts/disable", {"cascade": "1"},
                page_url="/admin/plugins/contacts/disable")
    assert done.status_code == 302
    assert kernel.state("contacts") == "disabled" and kernel.state("sales") == "disabled"
    home = _text(admin.get("/"))
    assert 'data-menu="contacts.people"' not in home
    # Sales cannot come back before contacts: the kernel's own message says why.
    refused = post(admin, "/admin/plugins/sales/enable", {}, page_url="/admin/plugins")
    message = " ".join(_flashes(_text(admin.get(refused.headers["Location"]))))
    assert message == "“Sales” needs “Contacts”, which is not enabled: enable it first."
    persian = web_client(app, "parisa")
    refused = post(persian, "/admin/plugins/sales/enable", {}, page_url="/admin/plugins")
    message = " ".join(_flashes(_text(persian.get(refused.headers["Location"]))))
    assert message == "«فروش» به «مخاطبین» نیاز دارد که فعال نیست: نخست آن را فعال کنید."
    assert kernel.state("sales") == "disabled"
    # Purging needs the plugin's name typed; an enabled plugin is refused.
    purge_page = _text(admin.get("/admin/plugins/sales/purge"))
    assert "sales_deal" in purge_page and 'data-must-type="sales"' in purge_page
    wrong = post(admin, "/admin/plugins/sales/purge", {"typed": "yes"},
                 page_url="/admin/plugins/sales/purge")
    assert wrong.status_code == 302 and kernel.state("sales") == "disabled"
    post(admin, "/admin/plugins/contacts/enable", {}, page_url="/admin/plugins")
    assert kernel.state("contacts") == "enabled"
    assert 'data-menu="contacts.people"' in _text(admin.get("/"))
    enabled_purge = admin.get("/admin/plugins/contacts/purge")
    assert enabled_purge.status_code == 302 and kernel.state("contacts") == "enabled"
    gone = post(admin, "/admin/plugins/sales/purge", {"typed": "sales"},
                page_url="/admin/plugins/sales/purge")
    assert gone.status_code == 302 and kernel.state("sales") == "purged"
    actions = [(a, c["plugin"][1]) for a, _u, _v, c in _audit_rows(app, "peyvand.plugin")]
    assert actions == [("disable", "sales"), ("disable", "contacts"), ("enable", "contacts"),
                       ("purge", "sales")]


# -- users and teams -----------------------------------------------------------------------------

def test_create_edit_and_disable_a_user_handing_their_records_over(app):
    from peyvand.identity import User, user_roles, user_teams

    kernel, _b = _bound(app)
    admin = web_client(app, "boss")
    teams = post(admin, "/admin/teams", {"name": "فروش تهران"})
    assert teams.status_code == 302
    with kernel.storage.bound("default"):
        from peyvand.identity import Team

        team_id = Team.get(Team.name == "فروش تهران").id
    refused = post(admin, "/admin/users/new", {"name": "has space", "roles": "salesperson",
                                               "language": "fa", "calendar": "jalali",
                                               "password": "x", "password2": "y"})
    assert refused.status_code == 400
    created = post(admin, "/admin/users/new", {
        "name": "leila", "display_name": "لیلا", "roles": "salesperson",
        "teams": str(team_id), "primary_team": str(team_id), "language": "en",
        "calendar": "gregorian", "password": PASSWORD, "password2": PASSWORD})
    assert created.status_code == 302, _text(created)[:3000]
    leila = log_in(app.test_client(), "leila")
    person = post(leila, "/app/contacts/persons/new", {"last_name": "Tehrani"})
    assert person.status_code == 302
    with kernel.storage.bound("default"):
        user = User.get(User.name == "leila")
        assert user_roles(user) == ["salesperson"] and user.language == "en"
        assert user_teams(user) == ([team_id], team_id)
    # Edit: another role; the change is audited.
    edit_url = f"/admin/users/{user.id}"
    edited = post(admin, edit_url, {"display_name": "لیلا", "roles": ["salesperson", "support"],
                                    "teams": str(team_id), "primary_team": str(team_id),
                                    "language": "en", "calendar": "gregorian"})
    assert edited.status_code == 302
    with kernel.storage.bound("default"):
        assert user_roles(User.get_by_id(user.id)) == ["salesperson", "support"]
    # Disable, giving her people to maryam.
    make_user(app, "maryam", roles=("manager",))
    page = _text(admin.get(edit_url + "/disable"))
    assert 'name="entities" value="contacts.person"' in page
    with kernel.storage.bound("default"):
        maryam = User.get(User.name == "maryam")
    done = post(admin, edit_url + "/disable", {"reassign_to": str(maryam.id),
                                               "entities": "contacts.person"},
                page_url=edit_url + "/disable")
    assert done.status_code == 302
    assert leila.get("/").status_code == 302                      # logged out at once
    with kernel.storage.bound("default"):
        from peyvand_contacts.models import Person

        assert Person.get(Person.last_name == "Tehrani").owner_id == maryam.id
        assert not User.get_by_id(user.id).is_active
    people = _audit_rows(app, "contacts.person")
    assert ("reassign", "boss", "web") in [(a, u, v) for a, u, v, _c in people]
    actions = [a for a, *_ in _audit_rows(app, "peyvand.user")]
    assert actions == ["create", "update", "disable"]
    # Enabled again, she logs in again.
    post(admin, edit_url + "/enable", {}, page_url=edit_url)
    log_in(app.test_client(), "leila")


def test_the_last_administrator_cannot_be_disabled_or_demoted(app):
    from peyvand.identity import User

    kernel, _b = _bound(app)
    admin = web_client(app, "boss")
    with kernel.storage.bound("default"):
        boss = User.get(User.name == "boss")
        User.update(is_active=False).where(User.id != boss.id).execute()   # the fixture's
    kernel.bump_generation()
    me = admin.get(f"/admin/users/{boss.id}/disable")
    assert me.status_code == 302                               # not yourself
    demoted = post(admin, f"/admin/users/{boss.id}", {"roles": "manager", "language": "fa",
                                                     "calendar": "jalali"})
    assert demoted.status_code == 400 and "آخرین مدیر" in _text(demoted)


def test_the_team_tree_refuses_cycles_and_deleting_teams_in_use(app):
    from peyvand.identity import Team

    kernel, _b = _bound(app)
    admin = web_client(app, "boss", language="en", calendar="gregorian")
    post(admin, "/admin/teams", {"name": "Sales"})
    with kernel.storage.bound("default"):
        sales = Team.get(Team.name == "Sales")
    post(admin, "/admin/teams", {"name": "Tehran", "parent": str(sales.id)})
    with kernel.storage.bound("default"):
        tehran = Team.get(Team.name == "Tehran")
    tree = _text(admin.get("/admin/teams"))
    assert tree.index('data-team="Sales"') < tree.index('data-team="Tehran"')
    assert 'style="--depth: 1" data-team="Tehran"' in tree
    cycle = post(admin, f"/admin/teams/{sales.id}", {"name": "Sales", "parent": str(tehran.id)})
    assert cycle.status_code == 400 and "cannot sit under itself" in _text(cycle)
    refused = admin.get(f"/admin/teams/{sales.id}/delete")
    assert refused.status_code == 302
    assert "sub-teams" in " ".join(_flashes(_text(admin.get(refused.headers["Location"]))))
    make_user(app, "omid", roles=("salesperson",))
    with kernel.storage.bound("default"):
        from peyvand.identity import User

        omid = User.get(User.name == "omid")
    post(admin, f"/admin/teams/{tehran.id}/members", {"add": str(omid.id)},
         page_url=f"/admin/teams/{tehran.id}")
    assert admin.get(f"/admin/teams/{tehran.id}/delete").status_code == 302   # has a member
    # Removing a member asks first, on a page of its own; a POST without the confirmation
    # (a forged or old form) shows that page and changes nothing.
    team_page = _text(admin.get(f"/admin/teams/{tehran.id}"))
    link = f"/admin/teams/{tehran.id}/members/{omid.id}/remove"
    assert f'href="{link}"' in team_page and 'name="remove"' not in team_page
    unconfirmed = post(admin, f"/admin/teams/{tehran.id}/members", {"remove": str(omid.id)},
                       page_url=f"/admin/teams/{tehran.id}")
    asked = _text(admin.get(link))
    for page in (_text(unconfirmed), asked):
        assert "Remove omid from team Tehran?" in page
        assert 'name="confirmed" value="1"' in page
        assert f'name="remove" value="{omid.id}"' in page
    assert unconfirmed.status_code == 200
    assert admin.get(f"/admin/teams/{tehran.id}/delete").status_code == 302   # still a member
    post(admin, f"/admin/teams/{tehran.id}/members", {"remove": str(omid.id), "confirmed": "1"},
         page_url=link)
    assert admin.get(f"/admin/teams/{tehran.id}/delete").status_code == 200   # confirmation
    post(admin, f"/admin/teams/{tehran.id}/delete", {}, page_url=f"/admin/teams/{tehran.id}")
    with kernel.storage.bound("default"):
        assert not Team.select().where(Team.name == "Tehran").exists()
    actions = [a for a, *_ in _audit_rows(app, "peyvand.team")]
    assert actions == ["create", "create", "member-add", "member-remove", "delete"]


# -- roles ---------------------------------------------------------------------------------------

def _role_form(client, key) -> dict:
    html = _text(client.get(f"/admin/roles/{key}"))
    form = {}
    for name, body in re.findall(r'<select name="([gr]:[^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]+)" selected', body)
        form[name] = chosen.group(1)
    return form


def test_the_permission_matrix_and_field_rules_take_effect_and_are_audited(app):
    admin = web_client(app, "boss")
    seller = web_client(app, "reza", roles=("salesperson",))
    assert seller.get("/app/contacts/persons/export?format=csv").status_code == 403
    form = _role_form(admin, "salesperson")
    assert form["g:contacts.person.read"] == "own" and form["g:contacts.person.export"] == "none"
    assert "r:contacts.person:national_id" in form and "g:sales.deal.read" in form
    form["g:contacts.person.export"] = "own"
    form["r:contacts.person:national_id"] = "hidden"
    form["r:contacts.person:email"] = "read"
    saved = post(admin, "/admin/roles/salesperson", form)
    assert saved.status_code == 302
    assert "۳ تغییر" in " ".join(_flashes(_text(admin.get(saved.headers["Location"]))))
    assert seller.get("/app/contacts/persons/export?format=csv").status_code == 200
    new_form = _text(seller.get("/app/contacts/persons/new"))
    assert 'name="national_id"' not in new_form
    assert re.search(r'name="email"[^>]*readonly', new_form)
    changes = _audit_rows(app, "peyvand.role")[-1]
    assert changes[0] == "update" and changes[1] == "boss" and changes[2] == "web"
    assert changes[3] == {"contacts.person.export": ["none", "own"],
                          "field contacts.person.national_id": [None, "hidden"],
                          "field contacts.person.email": [None, "read"]}
    # A bad scope saves nothing.
    form["g:contacts.person.read"] = "everything"
    form["g:contacts.person.delete"] = "none"
    refused = post(admin, "/admin/roles/salesperson", form)
    assert "هیچ چیز ذخیره نشد" in " ".join(_flashes(_text(admin.get(refused.headers["Location"]))))
    assert _role_form(admin, "salesperson")["g:contacts.person.delete"] == "own"
    # Explain a decision.
    explained = _text(admin.get("/admin/roles/salesperson?explain_user=reza&explain_action=export"
                                "&explain_entity=contacts.person"))
    assert "role 'salesperson' grants 'contacts.person.export'" in explained


def test_new_roles_copy_rights_and_custom_roles_can_be_deleted(app):
    from peyvand.identity import Grant, Role

    kernel, _b = _bound(app)
    admin = web_client(app, "boss")
    bad = post(admin, "/admin/roles", {"key": "Bad Key", "label_en": "x"})
    assert bad.status_code == 400
    made = post(admin, "/admin/roles", {"key": "field_sales", "label_en": "Field sales",
                                        "label_fa": "فروش میدانی", "copy_from": "salesperson"})
    assert made.headers["Location"].endswith("/admin/roles/field_sales")
    with kernel.storage.bound("default"):
        role = Role.get(Role.key == "field_sales")
        assert Grant.select().where((Grant.role == role)
                                    & (Grant.permission == "contacts.person.read")).get().scope \
            == "own"
    assert admin.get("/admin/roles/admin/delete").status_code == 302        # built in
    assert admin.get("/admin/roles/field_sales/delete").status_code == 200
    post(admin, "/admin/roles/field_sales/delete", {}, page_url="/admin/roles/field_sales")
    with kernel.storage.bound("default"):
        assert not Role.select().where(Role.key == "field_sales").exists()
        assert not Grant.select().where(Grant.role == role.id).exists()


# -- custom fields -------------------------------------------------------------------------------

def test_custom_fields_are_added_edited_and_deleted_from_the_admin_pages(app):
    admin = web_client(app, "boss")
    added = post(admin, "/admin/fields", {"entity": "contacts.person", "name": "tier",
                                          "type": "choice", "label_en": "Tier",
                                          "label_fa": "سطح", "choices": "gold\nsilver\n"})
    assert added.status_code == 302, _text(added)[:2000]
    bad = post(admin, "/admin/fields", {"entity": "contacts.person", "name": "Tier!",
                                        "type": "text"})
    assert bad.status_code == 400 and "lower-case letters" in _text(bad)
    form = _text(admin.get("/app/contacts/persons/new"))
    assert "سطح" in form and '<option value="gold"' in form
    person = post(admin, "/app/contacts/persons/new", {"last_name": "طلایی", "cf_tier": "gold"})
    assert person.status_code == 302
    url = "/admin/fields/contacts.person/tier"
    refused = post(admin, url, {"label_en": "Tier", "label_fa": "رده", "choices": "silver"})
    assert refused.status_code == 400 and "'gold'" in _text(refused)
    edited = post(admin, url, {"label_en": "Tier", "label_fa": "رده",
                               "choices": "gold\nsilver\nbronze", "required": "1"})
    assert edited.status_code == 302
    form = _text(admin.get("/app/contacts/persons/new"))
    assert "رده" in form and '<option value="bronze"' in form
    confirm = _text(admin.get(url + "/delete"))
    assert "۱" in confirm                                       # one record holds a value
    post(admin, url + "/delete", {}, page_url=url + "/delete")
    assert "رده" not in _text(admin.get("/app/contacts/persons/new"))
    assert [a for a, *_ in _audit_rows(app, "peyvand.custom_field")] == \
        ["create", "update", "delete"]


# -- audit trail ---------------------------------------------------------------------------------

def test_the_audit_viewer_filters_and_pages_back_and_forth(app):
    from peyvand.audit import Audit

    kernel, _b = _bound(app)
    admin = web_client(app, "boss", language="en", calendar="gregorian")
    for i in range(3):
        post(admin, "/app/contacts/persons/new", {"last_name": f"Audited {i}"})
    with kernel.storage.bound("default"):
        Audit.insert_many([{"at": "2025-03-20 21:00:00", "tenant": "default", "via": "cli",
                            "action": "update", "entity": "contacts.person", "record_id": 1,
                            "changes": json.dumps({"city": [None, f"c{i}"]})}
                           for i in range(120)]).execute()
    page = _text(admin.get("/admin/audit?user=&entity=contacts.person"))
    assert page.count("<tr data-audit=") == 50
    by_user = _text(admin.get("/admin/audit?action=create&entity=contacts.person"))
    assert by_user.count("<tr data-audit=") == 3 and "Audited 2" in by_user
    # 21:00 UTC on 20 March is 00:30 on 21 March (1 Farvardin 1404) in Tehran.
    jalali = web_client(app, "jalali")
    day = _text(jalali.get("/admin/audit?from=1404/01/01&to=1404/01/01"))
    assert day.count("<tr data-audit=") == 50
    assert "۱۴۰۴/۰۱/۰۱ ۰۰:۳۰" in day
    assert "<tr data-audit=" not in _text(jalali.get("/admin/audit?from=1403/12/30&to=1403/12/30"))
    # Pages forward, then back again.
    first = _text(admin.get("/admin/audit"))
    second_link = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    second = _text(admin.get(second_link))
    back_link = re.search(r'href="([^"]+)" rel="prev"', second).group(1).replace("&amp;", "&")
    back = _text(admin.get(back_link))
    ids = re.findall(r'data-audit="(\d+)"', first)
    assert re.findall(r'data-audit="(\d+)"', back) == ids
    assert set(ids).isdisjoint(re.findall(r'data-audit="(\d+)"', second))


def test_a_role_hiding_a_field_hides_it_in_the_audit_viewer_too(app):
    from peyvand.identity import FieldRule, Role

    kernel, _b = _bound(app)
    admin = web_client(app, "boss", language="en", calendar="gregorian")
    post(admin, "/app/contacts/persons/new", {"last_name": "Secret", "national_id": "0010350829"})
    assert "0010350829" in _text(admin.get("/admin/audit?entity=contacts.person"))
    with kernel.storage.bound("default"):
        FieldRule.create(role=Role.get(Role.key == "admin"), entity="contacts.person",
                         field="national_id", rule="hidden")
    kernel.bump_generation()
    assert "0010350829" not in _text(admin.get("/admin/audit?entity=contacts.person"))


def test_admin_forms_need_the_csrf_token(app):
    admin = web_client(app, "boss")
    forged = admin.post("/admin/plugins/contacts/disable", data={"csrf_token": "forged"})
    assert forged.status_code == 400
    assert app.extensions["peyvand"].state("contacts") == "enabled"
    assert csrf(admin.get("/admin/plugins"))


# -- tokens on the profile, two-factor reset -----------------------------------------------------

def test_a_user_creates_narrows_and_revokes_api_tokens_on_the_profile(app):
    client = web_client(app, "omid", roles=("salesperson", "readonly"))
    refused = post(client, "/profile/tokens", {"action": "create", "days": "-3"},
                   page_url="/profile")
    assert refused.status_code == 400
    made = post(client, "/profile/tokens", {"action": "create", "label": "ERP", "days": "30",
                                            "roles": "readonly"}, page_url="/profile")
    assert made.status_code == 200
    secret = re.search(r'id="new-token">([^<]+)<', _text(made)).group(1)
    api = app.test_client()
    auth = {"Authorization": f"Bearer {secret}"}
    assert api.get("/api/v1/contacts/persons", headers=auth).status_code == 200
    # Narrowed to readonly: it may not create.
    assert api.post("/api/v1/contacts/persons", json={"last_name": "x"},
                    headers=auth).status_code == 403
    page = _text(client.get("/profile"))
    assert secret not in page and "ERP" in page                  # never shown again
    token_id = re.search(r'data-token="(\d+)"', page).group(1)
    other = web_client(app, "eve", roles=("salesperson",))
    post(other, "/profile/tokens", {"action": "revoke", "id": token_id, "confirmed": "1"},
         page_url="/profile")
    assert other.get(f"/profile/tokens/{token_id}/revoke").status_code == 302   # not hers
    assert api.get("/api/v1/contacts/persons", headers=auth).status_code == 200  # not hers
    # Revoking asks first on a page of its own (no JavaScript needed); a POST without the
    # confirmation shows that page and revokes nothing.
    link = f"/profile/tokens/{token_id}/revoke"
    assert f'href="{link}"' in page and "data-confirm" not in page
    unconfirmed = post(client, "/profile/tokens", {"action": "revoke", "id": token_id},
                       page_url="/profile")
    assert unconfirmed.status_code == 200
    for asked in (_text(unconfirmed), _text(client.get(link))):
        assert "توکن «ERP» ابطال شود؟" in asked and 'name="confirmed" value="1"' in asked
        assert f'name="id" value="{token_id}"' in asked
    assert api.get("/api/v1/contacts/persons", headers=auth).status_code == 200
    post(client, "/profile/tokens", {"action": "revoke", "id": token_id, "confirmed": "1"},
         page_url=link)
    assert api.get("/api/v1/contacts/persons", headers=auth).status_code == 401
    assert client.get(link).status_code == 302          # revoked: nothing left to confirm
    assert [a for a, *_ in _audit_rows(app, "peyvand.user") if a.startswith("token")] == \
        ["token-create", "token-revoke"]


def test_an_admin_turns_off_a_users_lost_two_factor(app):
    from peyvand import two_factor
    from peyvand.identity import User

    kernel, _b = _bound(app)
    admin = web_client(app, "boss")
    make_user(app, "sara", roles=("salesperson",))
    with kernel.storage.bound("default"):
        sara = User.get(User.name == "sara")
        two_factor.begin(sara, kernel.settings.home)
        from peyvand.identity import UserTotp

        UserTotp.update(confirmed_at=datetime.datetime(2025, 1, 1)).execute()
        assert two_factor.enabled(User.get_by_id(sara.id))
    page = _text(admin.get(f"/admin/users/{sara.id}"))
    assert f"/admin/users/{sara.id}/reset-2fa" in page
    assert admin.get(f"/admin/users/{sara.id}/reset-2fa").status_code == 200   # asks first
    post(admin, f"/admin/users/{sara.id}/reset-2fa", {}, page_url=f"/admin/users/{sara.id}")
    with kernel.storage.bound("default"):
        assert not two_factor.enabled(User.get_by_id(sara.id))
    assert _audit_rows(app, "peyvand.user")[-1][0] == "two-factor-reset"
