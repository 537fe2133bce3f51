"""Password reset by an e-mail link, when a plugin sends the mail (``send_password_reset``).

A reset token is 32 random bytes shown only in the link; the database keeps its SHA-256 (enough
for a secret of that entropy), so a dump cannot be turned into links. A link works once, for
:data:`RESET_HOURS` hour, for an active user; setting a password through it ends the user's
other sessions (the web session holds a fingerprint of the password hash), voids their other
links and clears a login lock. It does not turn two-factor login off.

Without a plugin implementing the hook nothing is sent: an administrator resets the password
with ``peyvand users reset-password NAME``.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import secrets

import peewee

from .identity import (
    IdentityError,
    PasswordReset,
    User,
    check_password_policy,
    clear_failed_logins,
    set_password,
)
from .storage import utcnow

RESET_HOURS = 1
#: Links a user can have waiting at once; more requests within the hour send nothing.
MAX_WAITING = 3

log = logging.getLogger(__name__)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def can_send(kernel, tenant: str) -> bool:
    """Whether a plugin enabled for ``tenant`` implements ``send_password_reset``."""
    return bool(kernel.hooks(tenant).send_password_reset.get_hookimpls())


def find_user(ref: str) -> User | None:
    """The active user whose name, or (case-insensitively, if only one has it) e-mail address,
    is ``ref``."""
    ref = (ref or "").strip()
    if not ref:
        return None
    user = User.get_or_none((User.name == ref) & User.is_active)
    if user is None and "@" in ref:
        matches = list(User.select().where(
            (User.email.is_null(False)) & User.is_active
            & (peewee.fn.LOWER(User.email) == ref.lower())).limit(2))
        user = matches[0] if len(matches) == 1 else None
    return user


def create_link_token(user: User) -> str | None:
    """A new reset token for ``user``, or ``None`` when they have :data:`MAX_WAITING` links
    waiting already (so a stranger cannot flood their mailbox)."""
    now = utcnow()
    waiting = (PasswordReset.select().where((PasswordReset.user == user.id)
                                            & PasswordReset.used_at.is_null()
                                            & (PasswordReset.expires_at > now)).count())
    if waiting >= MAX_WAITING:
        return None
    token = secrets.token_urlsafe(32)
    PasswordReset.create(user=user.id, token_hash=_digest(token), created_at=now,
                         expires_at=now + datetime.timedelta(hours=RESET_HOURS))
    return token


def send_link(kernel, tenant: str, user: User, link: str) -> bool:
    """Call the ``send_password_reset`` hook; ``True`` if a plugin took the link. A failing
    plugin is logged, never shown (the page answers the same whatever happened)."""
    try:
        return kernel.hooks(tenant).send_password_reset(user=user, link=link) is not None
    except Exception:  # a mail plugin's failure must not tell the asker anything
        log.exception("send_password_reset failed for user %s", user.id)
        return False


def valid_reset(token: str) -> PasswordReset | None:
    """The waiting reset of ``token``: unused, unexpired, for an active user; else ``None``."""
    if not token:
        return None
    row = PasswordReset.get_or_none(PasswordReset.token_hash == _digest(token))
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        return None
    user = User.get_or_none(User.id == row.user_id)
    if user is None or not user.is_active:
        return None
    return row


def complete(token: str, password: str) -> User:
    """Set ``password`` through the link of ``token`` (call inside a transaction).

    Raises :class:`IdentityError` when the link has expired or was used, or the password breaks
    the policy (then the link still works).
    """
    row = valid_reset(token)
    if row is None:
        raise IdentityError("this password-reset link has expired or was already used")
    user = User.get_by_id(row.user_id)
    check_password_policy(password, user.name)
    now = utcnow()
    used = (PasswordReset.update(used_at=now)
            .where((PasswordReset.id == row.id) & PasswordReset.used_at.is_null()).execute())
    if not used:  # another request used it a moment ago
        raise IdentityError("this password-reset link has expired or was already used")
    set_password(user, password)
    (PasswordReset.update(used_at=now)
     .where((PasswordReset.user == user.id) & PasswordReset.used_at.is_null()).execute())
    clear_failed_logins(user)
    from . import audit

    audit.record("peyvand.user", user.id, "password-reset", {"password": (None, "(reset link)")},
                 via="web", user_id=user.id, user_name=user.name)
    return user
