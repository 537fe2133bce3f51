"""Admin pages for users and teams: list, create, edit, disable (handing the user's records to
someone else), and the team tree. Every change is audited (``peyvand.user``,
``peyvand.team``) and moves the kernel's generation, so sessions and the permission engine see
it at once; a disabled user's sessions and API tokens stop immediately."""

from __future__ import annotations

from flask import abort, flash, g, redirect, request, url_for

from .. import two_factor
from ..identity import (
    IdentityError,
    Membership,
    Role,
    Team,
    User,
    UserRole,
    check_password_policy,
    create_team,
    create_user,
    disable_user,
    reassign_records,
    set_password,
    team_tree,
    user_roles,
    user_teams,
)
from . import blueprint, i18n
from .admin import confirm, kernel, record, render, require_admin, write
from .i18n import _


def _roles() -> list[Role]:
    return list(Role.select().order_by(Role.builtin.desc(), Role.key))


def role_label(role: Role) -> str:
    return (role.label_fa if g.lang == "fa" and role.label_fa else role.label_en) or role.key


def _teams() -> list[Team]:
    return list(Team.select().order_by(Team.name))


def _active_admins() -> set[int]:
    return {uid for (uid,) in User.select(User.id).join(UserRole).join(Role)
            .where((Role.key == "admin") & User.is_active).tuples()}


def _done() -> None:
    kernel().bump_generation()


# -- users -------------------------------------------------------------------------------------

@blueprint.get("/admin/users")
def admin_users():
    require_admin()
    teams = {t.id: t.name for t in _teams()}
    labels = {r.key: role_label(r) for r in _roles()}
    rows = []
    for user in User.select().order_by(User.is_active.desc(), User.name):
        member_of, primary = user_teams(user)
        rows.append({"user": user, "roles": [labels.get(k, k) for k in user_roles(user)],
                     "teams": [teams[t] for t in member_of if t in teams],
                     "two_factor": two_factor.enabled(user)})
    return render("users.html", rows=rows)


def _user_form(form, user: User | None) -> tuple[dict, dict]:
    """``(values, errors)`` of the user form."""
    roles = {r.key for r in _roles()}
    teams = {str(t.id): t for t in _teams()}
    values = {
        "name": (form.get("name") or "").strip() if user is None else user.name,
        "display_name": (form.get("display_name") or "").strip()[:200] or None,
        "email": (form.get("email") or "").strip()[:254] or None,
        "roles": [r for r in form.getlist("roles") if r in roles],
        "teams": [teams[t] for t in form.getlist("teams") if t in teams],
        "primary": form.get("primary_team") or "",
        "language": form.get("language"),
        "calendar": form.get("calendar"),
        "password": form.get("password") or "",
    }
    errors = {}
    if user is None:
        name = values["name"]
        if not name:
            errors["name"] = _("Choose a user name.")
        elif len(name) > 150 or any(ch.isspace() for ch in name):
            errors["name"] = _("Use a user name without spaces, at most 150 characters.")
        elif User.select().where(User.name == name).exists():
            errors["name"] = _("This user name is taken.")
        if values["password"] != (form.get("password2") or ""):
            errors["password2"] = _("The two passwords differ.")
        elif "name" not in errors:
            try:
                check_password_policy(values["password"], name)
            except IdentityError:
                from .account import password_rules

                errors["password"] = password_rules()
    if not values["roles"]:
        errors["roles"] = _("Give the user at least one role.")
    if values["language"] not in i18n.LANGUAGES:
        errors["language"] = _("Choose a language.")
    if values["calendar"] not in i18n.CALENDARS:
        errors["calendar"] = _("Choose a calendar.")
    if values["email"] and "@" not in values["email"]:
        errors["email"] = _("Enter an e-mail address like name@example.com.")
    primary = [t for t in values["teams"] if str(t.id) == values["primary"]]
    values["teams"] = primary + [t for t in values["teams"] if t not in primary]
    return values, errors


def _user_page(user, values, errors):
    return render("user.html", user=user, values=values, errors=errors, roles=_roles(),
                  teams=_teams(), role_label=role_label,
                  two_factor_on=bool(user and two_factor.enabled(user))), \
        (400 if errors else 200)


@blueprint.route("/admin/users/new", methods=["GET", "POST"])
def admin_user_new():
    require_admin()
    if request.method == "POST":
        values, errors = _user_form(request.form, None)
        if not errors:
            def create():
                user = create_user(values["name"], roles=values["roles"],
                                   teams=[t.name for t in values["teams"]],
                                   password=values["password"], email=values["email"])
                user.display_name = values["display_name"]
                user.language, user.calendar = values["language"], values["calendar"]
                user.save(only=[User.display_name, User.language, User.calendar])
                record("peyvand.user", user.id, "create", {
                    "name": (None, user.name), "roles": (None, values["roles"]),
                    "teams": (None, [t.name for t in values["teams"]])})
                return user

            user = write(create)
            _done()
            flash(_("User %(name)s is created.", name=user.name), "success")
            return redirect(url_for("peyvand_web.admin_users"))
        return _user_page(None, values, errors)
    values = {"name": "", "display_name": "", "email": "", "roles": ["salesperson"],
              "teams": [], "primary": "", "language": "fa", "calendar": "jalali"}
    return _user_page(None, values, {})


def _user(user_id: int) -> User:
    user = User.get_or_none(User.id == user_id)
    if user is None:
        abort(404)
    return user


@blueprint.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
def admin_user_edit(user_id):
    require_admin()
    user = _user(user_id)
    before_roles = user_roles(user)
    before_teams, before_primary = user_teams(user)
    if request.method == "POST":
        values, errors = _user_form(request.form, user)
        if "admin" in before_roles and "admin" not in values["roles"] and user.is_active \
                and _active_admins() == {user.id}:
            errors["roles"] = _("This is the last active administrator: give another user the "
                                "admin role first.")
        if not errors:
            def save():
                changes = {}
                for name in ("display_name", "email", "language", "calendar"):
                    if getattr(user, name) != values[name]:
                        changes[name] = (getattr(user, name), values[name])
                        setattr(user, name, values[name])
                user.save(only=[User.display_name, User.email, User.language, User.calendar])
                if sorted(values["roles"]) != before_roles:
                    UserRole.delete().where(UserRole.user == user).execute()
                    for role in Role.select().where(Role.key.in_(values["roles"])):
                        UserRole.create(user=user, role=role)
                    changes["roles"] = (before_roles, sorted(values["roles"]))
                team_ids = [t.id for t in values["teams"]]
                primary = team_ids[0] if team_ids else None
                if sorted(team_ids) != sorted(before_teams) or primary != before_primary:
                    Membership.delete().where(Membership.user == user).execute()
                    for i, team_id in enumerate(team_ids):
                        Membership.create(user=user, team=team_id, is_primary=i == 0)
                    names = {t.id: t.name for t in _teams()}
                    changes["teams"] = ([names.get(t) for t in before_teams],
                                        [names.get(t) for t in team_ids])
                if changes:
                    record("peyvand.user", user.id, "update", changes)
                return changes

            changes = write(save)
            _done()
            if user.id == g.web_user.id and "language" in changes:
                from flask import session

                session["lang"] = values["language"]
            flash(_("Saved.") if changes else _("Nothing changed."), "success")
            return redirect(url_for("peyvand_web.admin_user_edit", user_id=user.id))
        return _user_page(user, values, errors)
    values = {"name": user.name, "display_name": user.display_name or "",
              "email": user.email or "", "roles": before_roles,
              "teams": [t for t in _teams() if t.id in before_teams],
              "primary": str(before_primary or ""), "language": user.language,
              "calendar": user.calendar}
    return _user_page(user, values, {})


@blueprint.post("/admin/users/<int:user_id>/password")
def admin_user_password(user_id):
    """An admin sets a new password for a user (their other sessions end)."""
    require_admin()
    user = _user(user_id)
    new = request.form.get("password") or ""
    if new != (request.form.get("password2") or ""):
        flash(_("The two passwords differ."), "error")
    else:
        try:
            write(lambda: (set_password(user, new),
                           record("peyvand.user", user.id, "password", {"password": (None,
                                                                                     "set")})))
        except IdentityError:
            from .account import password_rules

            flash(password_rules(), "error")
        else:
            flash(_("The password of %(name)s is changed; their sessions have ended.",
                    name=user.name), "success")
    return redirect(url_for("peyvand_web.admin_user_edit", user_id=user.id))


def _owned(user: User) -> list[tuple[str, str, int]]:
    """``[(entity id, label, records owned)]`` of the entities where ``user`` owns records."""
    out = []
    for entity_id, entity in sorted(kernel().entities(g.tenant).items()):
        model = entity.model
        count = model.select().where(model.owner_id == user.id).count()
        if count:
            out.append((entity_id, i18n.label(entity.label_plural or entity.label, entity_id),
                        count))
    return out


@blueprint.route("/admin/users/<int:user_id>/disable", methods=["GET", "POST"])
def admin_user_disable(user_id):
    require_admin()
    user = _user(user_id)
    back = url_for("peyvand_web.admin_user_edit", user_id=user.id)
    if user.id == g.web_user.id:
        flash(_("You cannot disable yourself."), "error")
        return redirect(back)
    if not user.is_active:
        return redirect(back)
    if _active_admins() == {user.id}:
        flash(_("This is the last active administrator: give another user the admin role "
                "first."), "error")
        return redirect(back)
    owned = _owned(user)
    others = list(User.select().where(User.is_active & (User.id != user.id))
                  .order_by(User.name))
    if request.method == "POST":
        target_id = request.form.get("reassign_to") or ""
        target = next((u for u in others if str(u.id) == target_id), None)
        if target_id and target is None:
            abort(400)
        only = [e for e in request.form.getlist("entities") if e in {o[0] for o in owned}]

        def run():
            disable_user(user)
            moved = {}
            if target is not None and only:
                moved = reassign_records(kernel().entities(g.tenant), user, target, only,
                                         via="web", actor_id=g.web_user.id,
                                         actor_name=g.web_user.name)
            record("peyvand.user", user.id, "disable",
                   {"is_active": (True, False),
                    **({"reassigned_to": (None, target.name)} if target else {})})
            return sum(moved.values())

        moved = write(run)
        _done()
        if target is not None:
            flash(_("%(name)s is disabled; %(count)s records now belong to %(target)s.",
                    name=user.name, count=moved, target=target.name), "success")
        else:
            flash(_("%(name)s is disabled; their sessions and API tokens stopped.",
                    name=user.name), "success")
        return redirect(url_for("peyvand_web.admin_users"))
    items = [_("Their sessions and API tokens stop at once; they cannot log in."),
             _("Nothing they wrote is deleted; you can enable them again.")]
    return confirm(_("Disable %(name)s?", name=user.name),
                   _("Choose who takes over the records %(name)s owns.", name=user.name),
                   url_for("peyvand_web.admin_user_disable", user_id=user.id), items=items,
                   button=_("Disable"), cancel=back, extra="peyvand/admin/_reassign.html",
                   owned=owned, others=others)


@blueprint.route("/admin/users/<int:user_id>/reset-2fa", methods=["GET", "POST"])
def admin_user_reset_2fa(user_id):
    """Turn a user's two-factor login off (a lost phone); they can enrol again."""
    require_admin()
    user = _user(user_id)
    back = url_for("peyvand_web.admin_user_edit", user_id=user.id)
    if not two_factor.enabled(user):
        return redirect(back)
    if request.method == "POST":
        write(lambda: (two_factor.disable(user),
                       record("peyvand.user", user.id, "two-factor-reset",
                              {"two_factor": ("on", "off")})))
        flash(_("Two-factor login of %(name)s is off; they can set it up again on their "
                "profile.", name=user.name), "success")
        return redirect(back)
    return confirm(_("Turn two-factor login off for %(name)s?", name=user.name),
                   _("Do this when they lost their phone. Until they set it up again, their "
                     "password alone logs them in."),
                   url_for("peyvand_web.admin_user_reset_2fa", user_id=user.id),
                   button=_("Turn it off"), cancel=back)


@blueprint.post("/admin/users/<int:user_id>/enable")
def admin_user_enable(user_id):
    require_admin()
    user = _user(user_id)
    if not user.is_active:
        def run():
            user.is_active = True
            user.save(only=[User.is_active])
            record("peyvand.user", user.id, "enable", {"is_active": (False, True)})

        write(run)
        _done()
        flash(_("%(name)s can log in again.", name=user.name), "success")
    return redirect(url_for("peyvand_web.admin_user_edit", user_id=user.id))


# -- teams -------------------------------------------------------------------------------------

def _tree(teams: list[Team]) -> list[tuple[Team, int]]:
    """Teams in tree order with their depth."""
    children: dict = {}
    for team in teams:
        children.setdefault(team.parent_id, []).append(team)
    out = []

    def walk(parent, depth):
        for team in sorted(children.get(parent, []), key=lambda t: t.name):
            out.append((team, depth))
            walk(team.id, depth + 1)

    walk(None, 0)
    return out


def _members() -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for team_id, name in (Membership.select(Membership.team, User.name).join(User)
                          .order_by(User.name).tuples()):
        out.setdefault(team_id, []).append(name)
    return out


@blueprint.route("/admin/teams", methods=["GET", "POST"])
def admin_teams():
    require_admin()
    errors = {}
    if request.method == "POST":
        name = " ".join((request.form.get("name") or "").split())[:150]
        parent = Team.get_or_none(Team.id == (request.form.get("parent") or 0))
        if not name:
            errors["name"] = _("Name the team.")
        elif Team.select().where(Team.name == name).exists():
            errors["name"] = _("A team with this name exists.")
        else:
            def run():
                team = create_team(name, parent.name if parent else None)
                record("peyvand.team", team.id, "create",
                       {"name": (None, name), "parent": (None, parent.name if parent else None)})

            write(run)
            _done()
            flash(_("Team %(name)s is created.", name=name), "success")
            return redirect(url_for("peyvand_web.admin_teams"))
    teams = _teams()
    return render("teams.html", tree=_tree(teams), teams=teams, members=_members(),
                  errors=errors), (400 if errors else 200)


def _team(team_id: int) -> Team:
    team = Team.get_or_none(Team.id == team_id)
    if team is None:
        abort(404)
    return team


@blueprint.route("/admin/teams/<int:team_id>", methods=["GET", "POST"])
def admin_team_edit(team_id):
    require_admin()
    team = _team(team_id)
    below = team_tree().get(team.id, {team.id})
    errors = {}
    if request.method == "POST":
        name = " ".join((request.form.get("name") or "").split())[:150]
        parent_id = request.form.get("parent") or ""
        parent = Team.get_or_none(Team.id == parent_id) if parent_id else None
        if not name:
            errors["name"] = _("Name the team.")
        elif Team.select().where((Team.name == name) & (Team.id != team.id)).exists():
            errors["name"] = _("A team with this name exists.")
        if parent_id and (parent is None or parent.id in below):
            errors["parent"] = _("A team cannot sit under itself or one of its sub-teams.")
        if not errors:
            def run():
                changes = {}
                if team.name != name:
                    changes["name"] = (team.name, name)
                if team.parent_id != (parent.id if parent else None):
                    old = Team.get_or_none(Team.id == team.parent_id)
                    changes["parent"] = (old.name if old else None,
                                         parent.name if parent else None)
                team.name, team.parent = name, parent
                team.save()
                if changes:
                    record("peyvand.team", team.id, "update", changes)
                return changes

            changes = write(run)
            _done()
            flash(_("Saved.") if changes else _("Nothing changed."), "success")
            return redirect(url_for("peyvand_web.admin_team_edit", team_id=team.id))
    teams = [t for t in _teams() if t.id not in below]
    users = list(User.select().order_by(User.name))
    return render("team.html", team=team, parents=teams, errors=errors, users=users,
                  members=list(Membership.select(Membership, User).join(User)
                               .where(Membership.team == team).order_by(User.name))), \
        (400 if errors else 200)


@blueprint.post("/admin/teams/<int:team_id>/members")
def admin_team_members(team_id):
    """Add (``add``: a user id) or remove (``remove``: a user id) a member."""
    require_admin()
    team = _team(team_id)
    add, remove = request.form.get("add"), request.form.get("remove")
    if add:
        user = _user(int(add)) if add.isdigit() else abort(400)

        def run():
            first = not Membership.select().where(Membership.user == user).exists()
            Membership.insert(user=user, team=team, is_primary=first).on_conflict_ignore() \
                .execute()
            record("peyvand.team", team.id, "member-add", {"member": (None, user.name)})

        write(run)
    elif remove:
        user = _user(int(remove)) if remove.isdigit() else abort(400)
        if request.form.get("confirmed") != "1":
            return _confirm_member_removal(team, user)

        def run():
            Membership.delete().where((Membership.user == user)
                                      & (Membership.team == team)).execute()
            rest = Membership.select().where(Membership.user == user).order_by(Membership.id)
            if rest.exists() and not rest.where(Membership.is_primary).exists():
                Membership.update(is_primary=True).where(
                    Membership.id == rest.first().id).execute()
            record("peyvand.team", team.id, "member-remove", {"member": (user.name, None)})

        write(run)
    _done()
    return redirect(url_for("peyvand_web.admin_team_edit", team_id=team.id))


def _confirm_member_removal(team: Team, user: User):
    membership = Membership.get_or_none((Membership.user == user) & (Membership.team == team))
    if membership is None:
        return redirect(url_for("peyvand_web.admin_team_edit", team_id=team.id))
    items = [_("Records of the team stay with the team; %(name)s no longer sees those that "
               "only the team's members may see.", name=user.name)]
    if membership.is_primary:
        items.append(_("This is their primary team: if they are in other teams, one of those "
                       "becomes the primary one."))
    return confirm(_("Remove %(name)s from team %(team)s?", name=user.name, team=team.name),
                   _("You can add them again later."),
                   url_for("peyvand_web.admin_team_members", team_id=team.id), items=items,
                   fields={"remove": str(user.id), "confirmed": "1"}, button=_("Remove"),
                   cancel=url_for("peyvand_web.admin_team_edit", team_id=team.id))


@blueprint.get("/admin/teams/<int:team_id>/members/<int:user_id>/remove")
def admin_team_member_remove(team_id, user_id):
    """The confirmation page before a member leaves a team (the form posts to ``members``)."""
    require_admin()
    return _confirm_member_removal(_team(team_id), _user(user_id))


@blueprint.route("/admin/teams/<int:team_id>/delete", methods=["GET", "POST"])
def admin_team_delete(team_id):
    require_admin()
    team = _team(team_id)
    back = url_for("peyvand_web.admin_team_edit", team_id=team.id)
    problems = []
    if Team.select().where(Team.parent == team).exists():
        problems.append(_("It has sub-teams: move or delete them first."))
    members = Membership.select().where(Membership.team == team).count()
    if members:
        problems.append(_("It has %(count)s members: remove them first.", count=members))
    for entity_id, entity in sorted(kernel().entities(g.tenant).items()):
        count = entity.model.select().where(entity.model.team_id == team.id).count()
        if count:
            problems.append(_("%(count)s %(entities)s belong to it: give them to another team "
                              "first.", count=count,
                              entities=i18n.label(entity.label_plural or entity.label,
                                                  entity_id)))
    if problems:
        flash(_("Team %(name)s cannot be deleted:", name=team.name) + " " + " ".join(problems),
              "error")
        return redirect(back)
    if request.method == "POST":
        def run():
            record("peyvand.team", team.id, "delete", {"name": (team.name, None)})
            team.delete_instance()

        write(run)
        _done()
        flash(_("Team %(name)s is deleted.", name=team.name), "success")
        return redirect(url_for("peyvand_web.admin_teams"))
    return confirm(_("Delete team %(name)s?", name=team.name),
                   _("The team has no members, sub-teams or records."),
                   url_for("peyvand_web.admin_team_delete", team_id=team.id),
                   button=_("Delete"), cancel=back)
