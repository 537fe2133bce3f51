"""``peyvand users|teams|roles|tokens``: identity and access from the command line."""

from __future__ import annotations

import json
import os
import sys

import click

from .cli import kernel_from, main, tenant_option
from .identity import (
    FieldRule,
    Grant,
    IdentityError,
    Role,
    Team,
    Token,
    User,
    create_team,
    create_token,
    create_user,
    disable_user,
    get_role,
    get_team,
    get_user,
    revoke_token,
    set_password,
    user_roles,
    user_teams,
)
from .permissions import RULES, SCOPES


def _password(given: str | None, name: str) -> str:
    """From --password, then PEYVAND_PASSWORD, then a prompt on a terminal; else fail."""
    if given:
        return given
    if os.environ.get("PEYVAND_PASSWORD"):
        return os.environ["PEYVAND_PASSWORD"]
    if sys.stdin.isatty():
        return click.prompt(f"password for {name}", hide_input=True, confirmation_prompt=True)
    raise click.ClickException("no password given: pass --password, set PEYVAND_PASSWORD, or run "
                               "the command in a terminal to be asked")


class _Session:
    """Binds the tenant and wraps the command in one transaction; bumps the generation."""

    def __init__(self, ctx, tenant):
        self.kernel = kernel_from(ctx)
        self.tenant = tenant

    def __enter__(self):
        self.kernel.ensure_tenant(self.tenant)
        self._bound = self.kernel.storage.bound(self.tenant)
        db = self._bound.__enter__()
        self._tx = db.atomic()
        self._tx.__enter__()
        return self.kernel

    def __exit__(self, *exc):
        try:
            self._tx.__exit__(*exc)
        finally:
            self._bound.__exit__(*exc)
        if exc[0] is None:
            self.kernel.bump_generation()
        elif isinstance(exc[1], IdentityError):
            raise click.ClickException(str(exc[1])) from None
        return False


# -- users --------------------------------------------------------------------------------------

@main.group()
def users():
    """Create, list and disable users."""


@users.command("create")
@click.argument("name")
@click.option("--role", "roles", multiple=True, default=("salesperson",), show_default=True,
              help="admin, manager, salesperson, accountant, support, readonly (repeatable).")
@click.option("--team", "teams", multiple=True, help="Team name; the first is the primary one.")
@click.option("--password", help="Otherwise PEYVAND_PASSWORD, or a prompt on a terminal.")
@click.option("--email")
@click.option("--superuser", is_flag=True, help="Bypasses every grant; each use is audited.")
@tenant_option
@click.pass_context
def users_create(ctx, name, roles, teams, password, email, superuser, tenant):
    """Create user NAME (the first one is usually `--role admin`)."""
    secret = _password(password, name)
    with _Session(ctx, tenant):
        create_user(name, roles=roles, teams=teams, password=secret, email=email,
                    superuser=superuser)
    click.echo(f"user {name} created with role(s) {', '.join(roles)}"
               + (f" in team(s) {', '.join(teams)}" if teams else ""))


@users.command("list")
@click.option("--json", "as_json", is_flag=True)
@tenant_option
@click.pass_context
def users_list(ctx, as_json, tenant):
    """List users with their roles, teams and state."""
    with _Session(ctx, tenant):
        teams = {t.id: t.name for t in Team.select()}
        rows = []
        for user in User.select().order_by(User.name):
            member_of, _ = user_teams(user)
            rows.append({"id": user.id, "name": user.name, "active": user.is_active,
                         "superuser": user.is_superuser, "roles": user_roles(user),
                         "teams": [teams[t] for t in member_of]})
    if as_json:
        click.echo(json.dumps({"data": rows}, ensure_ascii=False, indent=2))
        return
    for r in rows:
        state = "active" if r["active"] else "disabled"
        click.echo(f"{r['id']:>4}  {r['name']:<20} {state:<9} {','.join(r['roles']):<24} "
                   f"{','.join(r['teams'])}")


@users.command("disable")
@click.argument("name")
@click.option("--reassign-to", help="Move every record NAME owns to this user (audited).")
@click.option("--entity", "entities", multiple=True,
              help="Only records of this entity (repeatable), e.g. contacts.person.")
@tenant_option
@click.pass_context
def users_disable(ctx, name, reassign_to, entities, tenant):
    """Disable NAME: sessions and API tokens stop at once; optionally reassign their records."""
    from .identity import reassign_records

    with _Session(ctx, tenant) as kernel:
        user = get_user(name)
        target = get_user(reassign_to) if reassign_to else None
        disable_user(user)
        moved = 0
        if target is not None:
            moved = sum(reassign_records(kernel.entities(tenant), user, target, entities,
                                         via="cli", actor_name="cli").values())
    click.echo(f"user {name} disabled; tokens revoked"
               + (f"; {moved} records reassigned to {reassign_to}" if target else ""))


@users.command("reset-password")
@click.argument("name")
@click.option("--password", help="Otherwise PEYVAND_PASSWORD, or a prompt on a terminal.")
@tenant_option
@click.pass_context
def users_reset_password(ctx, name, password, tenant):
    """Set a new password for NAME (an admin's reset)."""
    secret = _password(password, name)
    with _Session(ctx, tenant):
        set_password(get_user(name), secret)
    click.echo(f"password of {name} changed")


@users.command("reset-2fa")
@click.argument("name")
@tenant_option
@click.pass_context
def users_reset_2fa(ctx, name, tenant):
    """Turn two-factor login off for NAME (a lost phone); they can enrol again (audited)."""
    from .audit import record
    from .two_factor import disable

    with _Session(ctx, tenant):
        user = get_user(name)
        if not disable(user):
            raise click.ClickException(f"{name} has no two-factor login to reset")
        record("peyvand.user", user.id, "two-factor-reset", {"two_factor": ("on", "off")},
               via="cli")
    click.echo(f"two-factor login of {name} is off; they can set it up again on their profile")


# -- teams --------------------------------------------------------------------------------------

@main.group()
def teams():
    """Teams (business units) form a tree: a manager of a team sees its sub-teams too."""


@teams.command("create")
@click.argument("name")
@click.option("--parent", help="The team this one belongs to.")
@tenant_option
@click.pass_context
def teams_create(ctx, name, parent, tenant):
    with _Session(ctx, tenant):
        create_team(name, parent)
    click.echo(f"team {name} created" + (f" under {parent}" if parent else ""))


@teams.command("list")
@tenant_option
@click.pass_context
def teams_list(ctx, tenant):
    with _Session(ctx, tenant):
        rows = list(Team.select().order_by(Team.name))
        names = {t.id: t.name for t in rows}
        for team in rows:
            parent = names.get(team.parent_id)
            click.echo(team.name + (f"  (in {parent})" if parent else ""))


@teams.command("add-member")
@click.argument("team")
@click.argument("user")
@click.option("--primary", is_flag=True, help="Make it the user's primary team.")
@tenant_option
@click.pass_context
def teams_add_member(ctx, team, user, primary, tenant):
    from .identity import Membership

    with _Session(ctx, tenant):
        row_team, row_user = get_team(team), get_user(user)
        if primary:
            Membership.update(is_primary=False).where(Membership.user == row_user).execute()
        Membership.insert(user=row_user, team=row_team, is_primary=primary).on_conflict(
            conflict_target=[Membership.user, Membership.team],
            update={Membership.is_primary: primary}).execute()
    click.echo(f"{user} is now in team {team}")


# -- roles --------------------------------------------------------------------------------------

@main.group()
def roles():
    """Roles, their grants (scope per permission) and field rules."""


@roles.command("list")
@tenant_option
@click.pass_context
def roles_list(ctx, tenant):
    with _Session(ctx, tenant):
        for role in Role.select().order_by(Role.key):
            count = Grant.select().where(Grant.role == role).count()
            click.echo(f"{role.key:<14} {role.label_en:<18} {role.label_fa or '':<18} "
                       f"{count} grants")


@roles.command("show")
@click.argument("role")
@tenant_option
@click.pass_context
def roles_show(ctx, role, tenant):
    with _Session(ctx, tenant):
        row = get_role(role)
        for perm, scope in (Grant.select(Grant.permission, Grant.scope)
                            .where(Grant.role == row).order_by(Grant.permission).tuples()):
            click.echo(f"{perm:<40} {scope}")
        for entity, fname, rule in (FieldRule.select(FieldRule.entity, FieldRule.field,
                                                     FieldRule.rule)
                                    .where(FieldRule.role == row).tuples()):
            click.echo(f"field {entity}.{fname:<30} {rule}")


@roles.command("grant")
@click.argument("role")
@click.argument("permission")
@click.argument("scope", type=click.Choice(SCOPES))
@tenant_option
@click.pass_context
def roles_grant(ctx, role, permission, scope, tenant):
    """Set ROLE's scope for PERMISSION (e.g. `roles grant salesperson contacts.person.export
    none`)."""
    from .audit import record

    with _Session(ctx, tenant):
        row = get_role(role)
        old = (Grant.select(Grant.scope).where((Grant.role == row)
                                               & (Grant.permission == permission)).scalar())
        Grant.insert(role=row, permission=permission, scope=scope).on_conflict(
            conflict_target=[Grant.role, Grant.permission], update={Grant.scope: scope}).execute()
        record("peyvand.role", row.id, "update", {permission: (old, scope)}, via="cli")
    click.echo(f"{role}: {permission} = {scope}")


@roles.command("field-rule")
@click.argument("role")
@click.argument("entity")
@click.argument("field")
@click.argument("rule", type=click.Choice(RULES))
@tenant_option
@click.pass_context
def roles_field_rule(ctx, role, entity, field, rule, tenant):
    """Make FIELD of ENTITY hidden, read-only or editable for ROLE."""
    from .audit import record

    with _Session(ctx, tenant):
        row = get_role(role)
        FieldRule.insert(role=row, entity=entity, field=field, rule=rule).on_conflict(
            conflict_target=[FieldRule.role, FieldRule.entity, FieldRule.field],
            update={FieldRule.rule: rule}).execute()
        record("peyvand.role", row.id, "update", {f"field {entity}.{field}": (None, rule)},
               via="cli")
    click.echo(f"{role}: {entity}.{field} is {rule}")


@roles.command("export")
@click.option("--output", type=click.Path(dir_okay=False), help="File (default: stdout).")
@tenant_option
@click.pass_context
def roles_export(ctx, output, tenant):
    """Write every role, grant and field rule as one JSON document."""
    from .roles import export_policy

    with _Session(ctx, tenant):
        text = json.dumps(export_policy(), ensure_ascii=False, indent=2)
    if output:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
    else:
        click.echo(text)


@roles.command("import")
@click.argument("file", type=click.File(encoding="utf-8"))
@tenant_option
@click.pass_context
def roles_import(ctx, file, tenant):
    """Replace the grants and field rules of the roles in FILE (all or nothing)."""
    from .records import InvalidRecord
    from .roles import import_policy

    try:
        document = json.load(file)
    except ValueError as exc:
        raise click.ClickException(f"{file.name} is not JSON: {exc}") from None
    try:
        with _Session(ctx, tenant):
            result = import_policy(document)
    except InvalidRecord as exc:
        lines = [f"  {where}: {'; '.join(msgs)}" for where, msgs in exc.errors.items()]
        raise click.ClickException("nothing imported:\n" + "\n".join(lines)) from None
    click.echo(f"imported roles: {', '.join(result['changed'])}")


# -- tokens -------------------------------------------------------------------------------------

@main.group()
def tokens():
    """API tokens: `Authorization: Bearer <token>`."""


@tokens.command("create")
@click.argument("user")
@click.option("--role", "roles", multiple=True, help="Narrow the token to these of the user's "
                                                     "roles (repeatable).")
@click.option("--expires", "days", type=int, help="Days until it expires (default: never).")
@click.option("--label")
@tenant_option
@click.pass_context
def tokens_create(ctx, user, roles, days, label, tenant):
    """Create a token for USER and print it once; only its hash is stored."""
    with _Session(ctx, tenant):
        token = create_token(get_user(user), roles=roles or None, days=days, label=label)
    click.echo(token)


@tokens.command("list")
@click.argument("user", required=False)
@tenant_option
@click.pass_context
def tokens_list(ctx, user, tenant):
    with _Session(ctx, tenant):
        query = Token.select(Token, User).join(User).order_by(Token.id)
        if user:
            query = query.where(Token.user == get_user(user))
        for t in query:
            state = "revoked" if t.revoked_at else "active"
            click.echo(f"{t.id:>4}  {t.user.name:<20} {state:<8} roles={t.roles or 'all'} "
                       f"expires={t.expires_at or 'never'} label={t.label or ''}")


@tokens.command("revoke")
@click.argument("token_id", type=int)
@tenant_option
@click.pass_context
def tokens_revoke(ctx, token_id, tenant):
    with _Session(ctx, tenant):
        revoke_token(token_id)
    click.echo(f"token {token_id} revoked")
