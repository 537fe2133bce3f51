"""Users, teams (a tree), roles, and API tokens of a tenant.

Passwords are hashed with argon2 (argon2-cffi). API tokens are random 32-byte secrets shown once;
only their SHA-256 is stored, which is enough for secrets of that entropy and keeps each API
request's check to one hash.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import secrets

import peewee

from .entities import Model
from .errors import PeyvandError
from .storage import utcnow

BUILTIN_ROLES = {
    "admin": ("Administrator", "مدیر سیستم"),
    "manager": ("Manager", "مدیر فروش"),
    "salesperson": ("Salesperson", "کارشناس فروش"),
    "accountant": ("Accountant", "حسابدار"),
    "support": ("Support agent", "کارشناس پشتیبانی"),
    "readonly": ("Read-only", "فقط خواندنی"),
}
MIN_PASSWORD = 10
LOCK_AFTER = 5
LOCK_MINUTES = 15


class IdentityError(PeyvandError):
    pass


class User(Model):
    id = peewee.AutoField()
    name = peewee.CharField(max_length=150, unique=True)
    display_name = peewee.CharField(max_length=200, null=True)
    email = peewee.CharField(max_length=254, null=True)
    password_hash = peewee.CharField(max_length=255, null=True)
    is_active = peewee.BooleanField(default=True)
    is_superuser = peewee.BooleanField(default=False)
    language = peewee.CharField(max_length=8, default="fa")
    calendar = peewee.CharField(max_length=12, default="jalali")
    time_zone = peewee.CharField(max_length=64, null=True)  # None: the tenant's time zone
    failed_logins = peewee.IntegerField(default=0)
    locked_until = peewee.DateTimeField(null=True)
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "peyvand_user"


class Team(Model):
    id = peewee.AutoField()
    name = peewee.CharField(max_length=150, unique=True)
    parent = peewee.ForeignKeyField("self", null=True, on_delete="RESTRICT", backref="children")

    class Meta:
        table_name = "peyvand_team"


class Role(Model):
    id = peewee.AutoField()
    key = peewee.CharField(max_length=64, unique=True)
    label_en = peewee.CharField(max_length=100)
    label_fa = peewee.CharField(max_length=100, null=True)
    builtin = peewee.BooleanField(default=False)

    class Meta:
        table_name = "peyvand_role"


class Membership(Model):
    user = peewee.ForeignKeyField(User, on_delete="CASCADE")
    team = peewee.ForeignKeyField(Team, on_delete="CASCADE")
    is_primary = peewee.BooleanField(default=False)

    class Meta:
        table_name = "peyvand_membership"
        indexes = ((("user", "team"), True),)


class UserRole(Model):
    user = peewee.ForeignKeyField(User, on_delete="CASCADE")
    role = peewee.ForeignKeyField(Role, on_delete="CASCADE")

    class Meta:
        table_name = "peyvand_user_role"
        indexes = ((("user", "role"), True),)


class Grant(Model):
    role = peewee.ForeignKeyField(Role, on_delete="CASCADE")
    permission = peewee.CharField(max_length=150)
    scope = peewee.CharField(max_length=8)

    class Meta:
        table_name = "peyvand_grant"
        indexes = ((("role", "permission"), True),)


class FieldRule(Model):
    role = peewee.ForeignKeyField(Role, on_delete="CASCADE")
    entity = peewee.CharField(max_length=100)
    field = peewee.CharField(max_length=100)
    rule = peewee.CharField(max_length=8)

    class Meta:
        table_name = "peyvand_field_rule"
        indexes = ((("role", "entity", "field"), True),)


class Token(Model):
    id = peewee.AutoField()
    user = peewee.ForeignKeyField(User, on_delete="CASCADE")
    secret_hash = peewee.CharField(max_length=64)
    roles = peewee.TextField(null=True)
    label = peewee.CharField(max_length=100, null=True)
    created_at = peewee.DateTimeField(default=utcnow)
    expires_at = peewee.DateTimeField(null=True)
    revoked_at = peewee.DateTimeField(null=True)
    last_used_at = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "peyvand_token"


class LoginFailure(Model):
    id = peewee.AutoField()
    address = peewee.CharField(max_length=64)
    at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "peyvand_login_failure"
        indexes = ((("address", "at"), False),)


class UserTotp(Model):
    """A user's TOTP secret, Fernet-encrypted with a key derived from the instance's
    ``secret_key`` file (see :mod:`peyvand.two_factor`); ``confirmed_at`` is set once the user
    typed a first code, and only then does login ask for one."""

    user = peewee.ForeignKeyField(User, primary_key=True, on_delete="CASCADE")
    secret = peewee.TextField()
    confirmed_at = peewee.DateTimeField(null=True)
    last_step = peewee.BigIntegerField(null=True)  # the last accepted time step: no replay
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "peyvand_user_totp"


class RecoveryCode(Model):
    """One-time recovery codes for a user with TOTP, stored as keyed hashes."""

    id = peewee.AutoField()
    user = peewee.ForeignKeyField(User, on_delete="CASCADE")
    code_hash = peewee.CharField(max_length=64)
    used_at = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "peyvand_recovery_code"


class PasswordReset(Model):
    """A password-reset link: only the SHA-256 of its token is kept; single use, expiring."""

    id = peewee.AutoField()
    user = peewee.ForeignKeyField(User, on_delete="CASCADE")
    token_hash = peewee.CharField(max_length=64, unique=True)
    created_at = peewee.DateTimeField(default=utcnow)
    expires_at = peewee.DateTimeField()
    used_at = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "peyvand_password_reset"


MODELS = [User, Team, Role, Membership, UserRole, Grant, FieldRule, Token, LoginFailure,
          UserTotp, RecoveryCode, PasswordReset]
ADDRESS_LOCK_AFTER = 20


# -- passwords ----------------------------------------------------------------------------------

def _hasher():
    from argon2 import PasswordHasher

    return PasswordHasher()


def check_password_policy(password: str, name: str) -> None:
    problems = []
    if len(password) < MIN_PASSWORD:
        problems.append(f"at least {MIN_PASSWORD} characters")
    if password.lower() == name.lower() or name.lower() in password.lower():
        problems.append("must not contain the user name")
    if password.isdigit() or password.isalpha():
        problems.append("mix letters with digits or symbols")
    if problems:
        raise IdentityError("password refused: " + "; ".join(problems))


def set_password(user: User, password: str) -> None:
    check_password_policy(password, user.name)
    user.password_hash = _hasher().hash(password)
    user.save(only=[User.password_hash])


def address_failures(address: str) -> int:
    """Failed logins from ``address`` in the last lock window."""
    since = utcnow() - datetime.timedelta(minutes=LOCK_MINUTES)
    return (LoginFailure.select().where((LoginFailure.address == address)
                                        & (LoginFailure.at > since)).count())


def verify_password(name: str, password: str, address: str = "", *,
                    clear_failures: bool = True) -> User:
    """Return the user if the password is right.

    Failures are counted per account (locked for ``LOCK_MINUTES`` after ``LOCK_AFTER``) and
    per address (locked after ``ADDRESS_LOCK_AFTER`` within the window, whatever the account).
    With ``clear_failures=False`` a right password leaves the account's count alone, for a login
    that still needs a second factor (:func:`clear_failed_logins` once that is right too), so
    wrong two-factor codes add up to the same lock.
    """
    now = utcnow()
    if address and address_failures(address) >= ADDRESS_LOCK_AFTER:
        raise IdentityError(f"too many failed logins from this address; try again in "
                            f"{LOCK_MINUTES} minutes")
    try:
        user = _verify(name, password, now)
    except IdentityError:
        if address:
            LoginFailure.create(address=address, at=now)
        raise
    if clear_failures:
        clear_failed_logins(user)
    return user


def check_not_locked(user: User, address: str = "") -> None:
    """Raise :class:`IdentityError` while ``user`` or ``address`` is locked out."""
    if address and address_failures(address) >= ADDRESS_LOCK_AFTER:
        raise IdentityError(f"too many failed logins from this address; try again in "
                            f"{LOCK_MINUTES} minutes")
    if user.locked_until and user.locked_until > utcnow():
        raise IdentityError(f"too many failed logins; try again after "
                            f"{user.locked_until:%H:%M} UTC")


def note_failed_login(user: User, address: str = "") -> None:
    """Count one failed login against ``user`` (locking the account after ``LOCK_AFTER``) and
    ``address``."""
    now = utcnow()
    user.failed_logins += 1
    if user.failed_logins >= LOCK_AFTER:
        user.locked_until = now + datetime.timedelta(minutes=LOCK_MINUTES)
        user.failed_logins = 0
    user.save(only=[User.failed_logins, User.locked_until])
    if address:
        LoginFailure.create(address=address, at=now)


def clear_failed_logins(user: User) -> None:
    if user.failed_logins or user.locked_until:
        user.failed_logins, user.locked_until = 0, None
        user.save(only=[User.failed_logins, User.locked_until])


def _verify(name: str, password: str, now) -> User:
    user = User.get_or_none(User.name == name)
    if user is None or not user.is_active or not user.password_hash:
        raise IdentityError("wrong user name or password")
    if user.locked_until and user.locked_until > now:
        raise IdentityError(f"too many failed logins; try again after "
                            f"{user.locked_until:%H:%M} UTC")
    from argon2.exceptions import VerifyMismatchError

    try:
        _hasher().verify(user.password_hash, password)
    except VerifyMismatchError:
        note_failed_login(user)  # the address is counted by verify_password
        raise IdentityError("wrong user name or password") from None
    return user


# -- users, teams, roles ------------------------------------------------------------------------

def ensure_builtin_roles() -> None:
    for key, (en, fa) in BUILTIN_ROLES.items():
        Role.insert(key=key, label_en=en, label_fa=fa, builtin=True).on_conflict_ignore().execute()


def get_user(ref) -> User:
    """A user by id or name; :class:`IdentityError` naming it otherwise."""
    query = User.select()
    user = (query.where(User.id == int(ref)).first() if str(ref).isdigit()
            else query.where(User.name == str(ref)).first())
    if user is None:
        raise IdentityError(f"no user {ref!r}; `peyvand users list` shows them")
    return user


def get_role(key: str) -> Role:
    role = Role.get_or_none(Role.key == key)
    if role is None:
        known = ", ".join(r.key for r in Role.select().order_by(Role.key))
        raise IdentityError(f"no role {key!r} (roles: {known})")
    return role


def get_team(name: str) -> Team:
    team = Team.get_or_none(Team.name == name)
    if team is None:
        raise IdentityError(f"no team {name!r}; create it with `peyvand teams create {name}`")
    return team


def create_user(name: str, *, roles=("salesperson",), teams=(), password: str | None = None,
                email: str | None = None, superuser: bool = False) -> User:
    ensure_builtin_roles()
    if User.select().where(User.name == name).exists():
        raise IdentityError(f"user {name!r} already exists")
    role_rows = [get_role(r) for r in roles]
    team_rows = [get_team(t) for t in teams]
    user = User.create(name=name, email=email, is_superuser=superuser)
    if password is not None:
        set_password(user, password)
    for role in role_rows:
        UserRole.create(user=user, role=role)
    for i, team in enumerate(team_rows):
        Membership.create(user=user, team=team, is_primary=(i == 0))
    return user


def create_team(name: str, parent: str | None = None) -> Team:
    if Team.select().where(Team.name == name).exists():
        raise IdentityError(f"team {name!r} already exists")
    return Team.create(name=name, parent=get_team(parent) if parent else None)


def team_tree() -> dict[int, set[int]]:
    """``{team id: {itself and every team below it}}``."""
    children: dict[int | None, list[int]] = {}
    for team_id, parent_id in Team.select(Team.id, Team.parent).tuples():
        children.setdefault(parent_id, []).append(team_id)
    out = {}
    for team_id, _ in Team.select(Team.id, Team.parent).tuples():
        seen, stack = set(), [team_id]
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.add(current)
                stack.extend(children.get(current, []))
        out[team_id] = seen
    return out


def user_roles(user: User) -> list[str]:
    return [k for (k,) in Role.select(Role.key).join(UserRole).where(UserRole.user == user)
            .order_by(Role.key).tuples()]


def user_teams(user: User) -> tuple[list[int], int | None]:
    rows = list(Membership.select(Membership.team, Membership.is_primary)
                .where(Membership.user == user).tuples())
    primary = next((t for t, p in rows if p), rows[0][0] if rows else None)
    return [t for t, _ in rows], primary


def disable_user(user: User) -> None:
    """Disable a leaving user: their tokens stop working at once."""
    user.is_active = False
    user.save(only=[User.is_active])
    Token.update(revoked_at=utcnow()).where((Token.user == user) & Token.revoked_at.is_null()
                                            ).execute()


def reassign_records(entities: dict, user: User, target: User, only=(), *, via: str,
                     actor_id: int | None = None, actor_name: str | None = None
                     ) -> dict[str, int]:
    """Give every record ``user`` owns to ``target`` (and ``target``'s primary team), in the
    entities of ``entities`` (``{id: Entity}``; only those named in ``only`` when given); each
    move is audited as ``reassign``. Returns ``{entity id: records moved}``."""
    from .audit import record_many

    unknown = sorted(set(only) - set(entities))
    if unknown:
        raise IdentityError(f"unknown entit{'y' if len(unknown) == 1 else 'ies'} "
                            f"{', '.join(unknown)} (entities: {', '.join(sorted(entities))})")
    _, team = user_teams(target)
    moved = {}
    for entity_id, entity in sorted(entities.items()):
        if only and entity_id not in only:
            continue
        model = entity.model
        ids = [i for (i,) in model.select(model.id).where(model.owner_id == user.id).tuples()]
        if not ids:
            continue
        model.update(owner_id=target.id, team_id=team).where(model.id.in_(ids)).execute()
        record_many(entity_id, [(i, "reassign", {"owner_id": (user.id, target.id)})
                                for i in ids], via=via, user_id=actor_id, user_name=actor_name)
        moved[entity_id] = len(ids)
    return moved


# -- tokens -------------------------------------------------------------------------------------

def _hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(user: User, *, roles=None, days: int | None = None,
                 label: str | None = None) -> str:
    """Create an API token and return it; it is never shown again."""
    if roles:
        mine = set(user_roles(user))
        extra = set(roles) - mine
        if extra:
            raise IdentityError(f"a token can only narrow its user's roles; {user.name} does not "
                                f"have {', '.join(sorted(extra))}")
    secret = secrets.token_urlsafe(32)
    expires = utcnow() + datetime.timedelta(days=days) if days else None
    token = Token.create(user=user, secret_hash=_hash_secret(secret),
                         roles=json.dumps(sorted(roles)) if roles else None,
                         expires_at=expires, label=label)
    return f"pv_{token.id}_{secret}"


def parse_token(raw: str) -> tuple[int, str] | None:
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != "pv" or not parts[1].isdigit():
        return None
    return int(parts[1]), parts[2]


def revoke_token(token_id: int) -> None:
    Token.update(revoked_at=utcnow()).where(Token.id == token_id).execute()
