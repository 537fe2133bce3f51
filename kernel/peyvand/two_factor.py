"""Optional TOTP two-factor login per user (RFC 6238 codes from an authenticator app, by pyotp).

A dump of the database alone cannot pass the second factor: each user's TOTP secret is
encrypted with Fernet, and recovery codes are stored as HMAC-SHA256 digests, both with keys
derived (HKDF) from the instance's ``<PEYVAND_HOME>/secret_key``, the file that also signs web
sessions. Losing that file makes the secrets unreadable: an administrator then turns two-factor
login off with ``peyvand users reset-2fa NAME`` and the user enrols again.

Enrolment is two steps: :func:`begin` stores a new secret (not yet asked at login), and
:func:`confirm` switches it on once the user typed a first right code, returning the recovery
codes to show once. At login a wrong code counts as a failed login, like a wrong password.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import secrets
from pathlib import Path

from .identity import (
    IdentityError,
    RecoveryCode,
    User,
    UserTotp,
    check_not_locked,
    clear_failed_logins,
    note_failed_login,
    verify_password,
)
from .storage import utcnow

ISSUER = "Peyvand"
RECOVERY_CODES = 10
#: Codes of the previous and next 30-second step are accepted too (clocks drift).
VALID_WINDOW = 1


class SecondFactorRequired(IdentityError):
    """The password was right, and the account needs its two-factor code as well."""


def _keys(home) -> tuple[object, bytes]:
    """``(Fernet, hmac key)`` derived from the instance's secret key."""
    from cryptography.fernet import Fernet
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    from .web.session import secret_key

    master = secret_key(Path(home))

    def derive(info: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)

    fernet = Fernet(base64.urlsafe_b64encode(derive(b"peyvand two-factor secret")))
    return fernet, derive(b"peyvand recovery code")


def _encrypt(secret: str, home) -> str:
    return _keys(home)[0].encrypt(secret.encode()).decode()


def _decrypt(stored: str, home) -> str:
    from cryptography.fernet import InvalidToken

    try:
        return _keys(home)[0].decrypt(stored.encode()).decode()
    except InvalidToken:
        raise IdentityError("the two-factor secret cannot be read (the instance's secret_key "
                            "changed); an administrator can turn two-factor login off with "
                            "`peyvand users reset-2fa NAME`") from None


def _normalise(code: str) -> str:
    return "".join(ch for ch in str(code).lower() if ch.isalnum())


def _recovery_hash(code: str, home) -> str:
    return hmac.new(_keys(home)[1], _normalise(code).encode(), hashlib.sha256).hexdigest()


# -- state -------------------------------------------------------------------------------------

def status(user: User) -> str:
    """``"off"``, ``"pending"`` (a secret waits for its first code) or ``"on"``."""
    row = UserTotp.get_or_none(UserTotp.user == user.id)
    if row is None:
        return "off"
    return "on" if row.confirmed_at else "pending"


def enabled(user: User) -> bool:
    return status(user) == "on"


def recovery_codes_left(user: User) -> int:
    return (RecoveryCode.select().where((RecoveryCode.user == user.id)
                                        & RecoveryCode.used_at.is_null()).count())


def provisioning_uri(user: User, secret: str, issuer: str = ISSUER) -> str:
    """The ``otpauth://`` URI an authenticator app reads (as a QR code, or pasted)."""
    import pyotp

    return pyotp.TOTP(secret).provisioning_uri(name=user.name, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """The URI as an SVG QR code (a ``data:`` URI for an ``<img>``), made by segno."""
    import segno

    return segno.make(uri, error="m").svg_data_uri(scale=4, border=2)


# -- enrolment ---------------------------------------------------------------------------------

def begin(user: User, home) -> str:
    """Store a new secret for ``user`` (not yet asked at login); return it."""
    import pyotp

    if enabled(user):
        raise IdentityError("two-factor login is already on; turn it off first")
    secret = pyotp.random_base32()
    UserTotp.delete().where(UserTotp.user == user.id).execute()
    UserTotp.create(user=user.id, secret=_encrypt(secret, home))
    return secret


def pending_secret(user: User, home) -> str | None:
    """The secret of an enrolment waiting for its first code, or ``None``."""
    row = UserTotp.get_or_none(UserTotp.user == user.id)
    if row is None or row.confirmed_at:
        return None
    return _decrypt(row.secret, home)


def confirm(user: User, code: str, home) -> list[str]:
    """Switch two-factor login on once ``code`` matches the pending secret; return the new
    recovery codes (shown once, only their digests are kept)."""
    row = UserTotp.get_or_none(UserTotp.user == user.id)
    if row is None or row.confirmed_at:
        raise IdentityError("no two-factor enrolment is waiting for a code")
    step = _matching_step(_decrypt(row.secret, home), code)
    if step is None:
        raise IdentityError("wrong two-factor code")
    (UserTotp.update(confirmed_at=utcnow(), last_step=step)
     .where(UserTotp.user == user.id).execute())
    return new_recovery_codes(user, home)


def new_recovery_codes(user: User, home) -> list[str]:
    """Replace ``user``'s recovery codes with :data:`RECOVERY_CODES` new ones; return them."""
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = secrets.token_hex(5)
        codes.append(f"{raw[:5]}-{raw[5:]}")
    RecoveryCode.delete().where(RecoveryCode.user == user.id).execute()
    RecoveryCode.insert_many([{"user": user.id, "code_hash": _recovery_hash(c, home)}
                              for c in codes]).execute()
    return codes


def disable(user: User) -> bool:
    """Turn two-factor login off for ``user`` (secret and recovery codes deleted)."""
    removed = UserTotp.delete().where(UserTotp.user == user.id).execute()
    RecoveryCode.delete().where(RecoveryCode.user == user.id).execute()
    return bool(removed)


# -- checking codes ----------------------------------------------------------------------------

def _matching_step(secret: str, code: str) -> int | None:
    import pyotp

    code = _normalise(code)
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now = totp.timecode(datetime.datetime.now(datetime.UTC))
    for step in range(now - VALID_WINDOW, now + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def check_code(user: User, code: str, home) -> bool:
    """Whether ``code`` is a right TOTP code (each accepted once) or an unused recovery code
    (then used up). Does not count failures: :func:`check_login` does."""
    row = UserTotp.get_or_none(UserTotp.user == user.id)
    if row is None or not row.confirmed_at or not code:
        return False
    step = _matching_step(_decrypt(row.secret, home), code)
    if step is not None:
        # A code is accepted once: the update only wins if no later step was used already.
        return bool(UserTotp.update(last_step=step)
                    .where((UserTotp.user == user.id)
                           & (UserTotp.last_step.is_null() | (UserTotp.last_step < step)))
                    .execute())
    digest = _recovery_hash(code, home)
    spare = (RecoveryCode.select(RecoveryCode.id)
             .where((RecoveryCode.user == user.id) & (RecoveryCode.code_hash == digest)
                    & RecoveryCode.used_at.is_null()).scalar())
    if spare is None:
        return False
    return bool(RecoveryCode.update(used_at=utcnow())
                .where((RecoveryCode.id == spare) & RecoveryCode.used_at.is_null()).execute())


def check_login(user: User, code: str | None, address: str, home) -> None:
    """The second step of a login whose password was right: pass, or raise.

    Raises :class:`SecondFactorRequired` when the account has two-factor login and no code was
    given, and :class:`IdentityError` when the code is wrong (counted as a failed login, so
    repeated wrong codes lock the account and the address as wrong passwords do) or the account
    is locked. On success the account's failure count is cleared.
    """
    if enabled(user):
        check_not_locked(user, address)
        if not code:
            raise SecondFactorRequired(
                "two-factor login is on for this account: send the 6-digit code from the "
                "authenticator app (or a recovery code) as \"code\"")
        if not check_code(user, code, home):
            note_failed_login(user, address)
            raise IdentityError("wrong two-factor code")
    clear_failed_logins(user)


def authenticate(name: str, password: str, code: str | None, address: str, home) -> User:
    """Password, then the two-factor code when the account has it on (the API's login)."""
    user = verify_password(name, password, address, clear_failures=False)
    check_login(user, code, address, home)
    return user
