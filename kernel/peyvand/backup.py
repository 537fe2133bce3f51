"""Backup, restore and whole-tenant export: no business is locked in.

A **backup** is one archive file (a gzip-compressed tar) holding a consistent snapshot of one
tenant::

    manifest.json            format version, tenant, kernel and plugin versions, created-at (UTC),
                             database kind, row count per table, number of files
    control/tenant.json      the tenant's row and plugin states from the control database
    database/tenant.sqlite3  SQLite: a copy made with the online backup API
    database/tenant.sql      PostgreSQL: ``pg_dump`` (plain SQL) of the tenant's schema only
    files/...                the tenant's files folder ``<PEYVAND_HOME>/files/<tenant>/``
    checksums.json           SHA-256 of every member above; always the last member

With a passphrase the whole archive is encrypted (see :class:`_EncryptingWriter`): AES-256-GCM
from the ``cryptography`` package, the key derived from the passphrase with scrypt and a
random salt kept in the file's header.

**Restore** unpacks and verifies the whole archive into a staging folder before it touches
anything, refuses a tenant that already holds data, then swaps the database, the files folder
and the control rows in at once; any failure puts everything back as it was.

**Export** writes every table of the tenant as CSV or JSON, plus the manifest, for leaving
Peyvand altogether.

PostgreSQL dumps name the schema they were taken from (``peyvand_t_default``). A restore may
target another schema (another tenant name or another ``schema_prefix``), while the source
schema may still exist in the same database, so the dump cannot simply be replayed and the
schema renamed afterwards. Instead :class:`_SqlScanner` reads the dump statement by statement
with a small SQL lexer that knows quotes, dollar quotes and comments, and renames the schema
where it appears as an identifier (``src.table``, ``"src".table``, ``CREATE SCHEMA src``) or as
the schema part of a qualified name inside a string (``nextval('src.seq'::regclass)``,
``setval('src.seq', …)``). Row data (the lines between ``COPY … FROM stdin;`` and ``\\.``) is
passed to ``COPY`` byte for byte and never rewritten, so a customer's text that happens to
contain the schema name stays intact. The whole restore then runs in one transaction of one
connection, control rows included, so it is all-or-nothing.
"""

from __future__ import annotations

import base64
import contextlib
import csv
import dataclasses
import datetime
import decimal
import hashlib
import hmac
import io
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import unicodedata
import zlib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from .errors import PeyvandError
from .storage import check_tenant_name

FORMAT = "peyvand-backup"
EXPORT_FORMAT = "peyvand-export"
FORMAT_VERSION = 1

MANIFEST = "manifest.json"
CONTROL = "control/tenant.json"
SQLITE_MEMBER = "database/tenant.sqlite3"
PG_MEMBER = "database/tenant.sql"
CHECKSUMS = "checksums.json"
FILES = "files"

#: Kernel tables that a new tenant has rows in before anyone enters data (the built-in roles
#: and their default grants). Rows there do not make a tenant "non-empty"; rows in any other
#: table do. Migration history tables (``<plugin>_migrations``) are ignored as well.
SEEDED_TABLES = frozenset({"peyvand_role", "peyvand_grant"})

#: Characters that make a spreadsheet treat a text cell as a formula (tab and carriage
#: return too, as OWASP's CSV-injection advice lists them).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class BackupError(PeyvandError):
    """A backup, restore or export could not be done; the message says why and what to do."""


# -- entry points ---------------------------------------------------------------------------------

@dataclasses.dataclass
class RestoreReport:
    tenant: str
    manifest: dict
    files: int
    warnings: list[str]
    pending: dict[str, list[str]]


def backup(kernel, tenant: str, output: str | os.PathLike, passphrase: str | None = None
           ) -> dict:
    """Write one archive with a consistent snapshot of ``tenant``; return its manifest.

    ``output`` must not exist yet. With ``passphrase`` the archive is encrypted.
    """
    check_tenant_name(tenant)
    output = Path(output).absolute()
    if output.exists():
        raise BackupError(f"{output} already exists; choose another file name (a backup never "
                          "overwrites a file)")
    if not output.parent.is_dir():
        raise BackupError(f"folder {output.parent} does not exist")
    _require_tenant(kernel, tenant)
    if passphrase is not None:
        _check_passphrase(passphrase)
    storage = kernel.storage
    with tempfile.TemporaryDirectory(dir=output.parent, prefix=".peyvand-backup-") as tmp:
        tmp = Path(tmp)
        if storage.is_postgres:
            db_member, db_file = PG_MEMBER, tmp / "tenant.sql"
            _pg_dump(storage, storage.tenant_schema(tenant), db_file)
            tables = _count_dump_rows(db_file)
        else:
            db_member, db_file = SQLITE_MEMBER, tmp / "tenant.sqlite3"
            tables = _sqlite_snapshot(storage.tenant_path(tenant), db_file)
        control = _control_rows(kernel, tenant)
        files_root = _files_root(kernel, tenant)
        file_list = list(_walk_files(files_root)) if files_root.is_dir() else []
        manifest = _manifest(kernel, tenant, control, tables,
                             files=sum(1 for _, _, is_dir in file_list if not is_dir))
        partial = output.with_name(f".{output.name}.partial-{secrets.token_hex(4)}")
        try:
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as raw:
                sink = _EncryptingWriter(raw, passphrase) if passphrase is not None else raw
                sums: dict[str, str] = {}
                with tarfile.open(fileobj=sink, mode="w|gz", format=tarfile.PAX_FORMAT) as tar:
                    _add_bytes(tar, MANIFEST, _json_bytes(manifest), sums)
                    _add_bytes(tar, CONTROL, _json_bytes(control), sums)
                    _add_file(tar, db_member, db_file, sums)
                    for rel, path, is_dir in file_list:
                        name = f"{FILES}/{rel}"
                        if is_dir:
                            _add_dir(tar, name, path)
                        else:
                            _add_file(tar, name, path, sums)
                    _add_bytes(tar, CHECKSUMS, _json_bytes(sums), None)
                if passphrase is not None:
                    sink.close()
                raw.flush()
                os.fsync(raw.fileno())
            os.replace(partial, output)
        finally:
            with contextlib.suppress(FileNotFoundError):
                partial.unlink()
    return manifest


def restore(kernel, archive: str | os.PathLike, tenant: str | None = None,
            passphrase: str | None = None) -> RestoreReport:
    """Bring the archive back as ``tenant`` (default: the tenant it was taken from).

    The tenant must be empty here: no data tables, no plugin states, no files. On any failure
    nothing is changed.
    """
    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(f"no backup file at {archive}")
    storage = kernel.storage
    home = Path(kernel.settings.home)
    home.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=home, prefix=".peyvand-restore-"))
    try:
        manifest, control, files = _unpack(archive, passphrase, staging)
        tenant = check_tenant_name(tenant or manifest["tenant"])
        here = "postgresql" if storage.is_postgres else "sqlite"
        if manifest["database"] != here:
            raise BackupError(
                f"this backup was taken from a {manifest['database']} instance and this instance "
                f"uses {here}; restore it into a {manifest['database']} instance (restoring "
                "across database kinds is not supported; `peyvand export` moves data anywhere)")
        _refuse_states(kernel, tenant)
        files_root = _files_root(kernel, tenant)
        if files_root.exists() and (not files_root.is_dir() or any(files_root.iterdir())):
            raise BackupError(f"cannot restore into tenant {tenant!r}: its files folder "
                              f"{files_root} is not empty (a restore never overwrites)")
        staged_files = staging / FILES if (staging / FILES).is_dir() else None
        if storage.is_postgres:
            _restore_postgres(kernel, tenant, manifest, control, staging / PG_MEMBER,
                              staged_files, files_root)
        else:
            _restore_sqlite(kernel, tenant, control, staging / SQLITE_MEMBER, staged_files,
                            files_root)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    kernel.bump_generation()
    warnings = _version_warnings(kernel, manifest)
    try:
        pending = kernel.pending_migrations(tenant)
    except Exception as exc:  # the restore itself is done; report, do not fail
        pending = {}
        warnings.append(f"could not list pending migrations ({exc}); run `peyvand db status "
                        f"--tenant {tenant}`")
    return RestoreReport(tenant=tenant, manifest=manifest, files=files, warnings=warnings,
                         pending=pending)


def export(kernel, tenant: str, output: str | os.PathLike, fmt: str = "csv") -> dict:
    """Write every table of ``tenant`` to the folder ``output`` (one file per table).

    CSV: UTF-8 with a byte-order mark (so spreadsheets read Persian text right), a header
    row, ``NULL`` as an empty cell, and text that a spreadsheet would run as a formula
    prefixed with ``'``. JSON: a list of objects per table, values as stored. The tenant's
    files folder is copied to ``files/``; ``manifest.json`` describes the export.
    """
    if fmt not in ("csv", "json"):
        raise BackupError(f"unknown export format {fmt!r}; use csv or json")
    check_tenant_name(tenant)
    _require_tenant(kernel, tenant)
    output = Path(output)
    if output.exists() and (not output.is_dir() or any(output.iterdir())):
        raise BackupError(f"{output} exists and is not an empty folder; choose a new folder "
                          "(an export never overwrites)")
    output.mkdir(parents=True, exist_ok=True)
    tables: dict[str, int] = {}
    with _snapshot_reader(kernel, tenant) as reader:
        for table in reader.tables():
            target = output / f"{_safe_file_name(table)}.{fmt}"
            columns, rows = reader.rows(table)
            if fmt == "csv":
                tables[table] = _write_csv(target, columns, rows)
            else:
                tables[table] = _write_json(target, columns, rows)
    files_root = _files_root(kernel, tenant)
    count = 0
    if files_root.is_dir():
        for rel, path, is_dir in _walk_files(files_root):
            dest = output / FILES / rel
            if is_dir:
                dest.mkdir(parents=True, exist_ok=True)
            else:
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, dest)
                count += 1
    manifest = _manifest(kernel, tenant, _control_rows(kernel, tenant), tables, files=count)
    manifest["format"] = EXPORT_FORMAT
    manifest["export_format"] = fmt
    (output / MANIFEST).write_bytes(_json_bytes(manifest))
    return manifest


# -- shared helpers -------------------------------------------------------------------------------

def _require_tenant(kernel, tenant: str) -> None:
    tenants = kernel.tenants()
    if tenant not in tenants:
        raise BackupError(f"there is no tenant {tenant!r} in this instance (tenants: "
                          f"{', '.join(tenants) or 'none'})")


def _files_root(kernel, tenant: str) -> Path:
    return Path(kernel.settings.home) / "files" / tenant


def _walk_files(root: Path) -> Iterator[tuple[str, Path, bool]]:
    """``(relative posix path, path, is_dir)`` under ``root``, sorted; symlinks are skipped."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        base = Path(dirpath)
        for name in list(dirnames):
            path = base / name
            if path.is_symlink():
                dirnames.remove(name)
                continue
            yield path.relative_to(root).as_posix(), path, True
        for name in sorted(filenames):
            path = base / name
            if path.is_symlink() or not path.is_file():
                continue
            yield path.relative_to(root).as_posix(), path, False


def _json_bytes(data) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()


def _utc_now_text() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _dt_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    return str(value)


def _control_rows(kernel, tenant: str) -> dict:
    """The tenant's row and plugin states in the control database."""
    with kernel.storage.control.connection_context():
        row = kernel.Tenant.get_or_none(kernel.Tenant.name == tenant)
        states = (kernel.PluginState.select()
                  .where(kernel.PluginState.tenant == tenant)
                  .order_by(kernel.PluginState.plugin))
        return {
            "tenant": {"name": tenant,
                       "created_at": _dt_text(row.created_at) if row is not None else None},
            "plugin_states": [{"plugin": s.plugin, "state": s.state, "version": s.version,
                               "updated_at": _dt_text(s.updated_at)} for s in states],
        }


def _manifest(kernel, tenant: str, control: dict, tables: dict[str, int], files: int) -> dict:
    from . import __version__

    stored = {s["plugin"]: s for s in control["plugin_states"]}
    plugins = []
    for name in sorted(set(stored) | {n for n, r in kernel.records.items() if not r.internal}):
        record = kernel.records.get(name)
        entry = {"name": name,
                 "version": record.version if record is not None else stored[name]["version"],
                 "state": stored.get(name, {}).get("state", "installed")}
        if record is None:
            entry["installed"] = False
        plugins.append(entry)
    storage = kernel.storage
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "tenant": tenant,
        "kernel_version": __version__,
        "created_at": _utc_now_text(),
        "database": "postgresql" if storage.is_postgres else "sqlite",
        "plugins": plugins,
        "tables": dict(sorted(tables.items())),
        "files": files,
    }
    if storage.is_postgres:
        manifest["source_schema"] = storage.tenant_schema(tenant)
    return manifest


def _version_warnings(kernel, manifest: dict) -> list[str]:
    warnings = []
    for plugin in manifest.get("plugins", []):
        if plugin.get("state") not in ("enabled", "disabled"):
            continue
        record = kernel.records.get(plugin["name"])
        if record is None:
            warnings.append(f"plugin {plugin['name']!r} ({plugin['state']} in the backup) is not "
                            "installed here: its tables were restored but stay unused until you "
                            "install it")
        elif str(record.version) != str(plugin.get("version")):
            warnings.append(f"plugin {plugin['name']!r} is {record.version} here and was "
                            f"{plugin.get('version')} in the backup")
    return warnings


# -- the archive ----------------------------------------------------------------------------------

class _HashingReader:
    def __init__(self, raw, digest):
        self.raw, self.digest = raw, digest

    def read(self, size=-1):
        data = self.raw.read(size)
        self.digest.update(data)
        return data


def _tarinfo(name: str, size: int, mode: int = 0o644, mtime: float | None = None
             ) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = mode
    info.mtime = int(mtime if mtime is not None else datetime.datetime.now().timestamp())
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def _add_bytes(tar, name: str, data: bytes, sums: dict | None) -> None:
    tar.addfile(_tarinfo(name, len(data)), io.BytesIO(data))
    if sums is not None:
        sums[name] = hashlib.sha256(data).hexdigest()


def _add_file(tar, name: str, path: Path, sums: dict) -> None:
    stat = path.stat()
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        tar.addfile(_tarinfo(name, stat.st_size, stat.st_mode & 0o777 or 0o644, stat.st_mtime),
                    _HashingReader(f, digest))
    sums[name] = digest.hexdigest()


def _add_dir(tar, name: str, path: Path) -> None:
    info = _tarinfo(name, 0, 0o755, path.stat().st_mtime)
    info.type = tarfile.DIRTYPE
    tar.addfile(info)


def _member_path(staging: Path, name: str, is_dir: bool) -> Path:
    """Where an archive member goes in the staging folder; refuses anything unexpected."""
    pure = PurePosixPath(name)
    parts = pure.parts
    unsafe = (not parts or pure.is_absolute() or "\\" in name
              or any(p in ("", ".", "..") for p in parts))
    allowed = (parts[:1] == (FILES,) if is_dir
               else name in (MANIFEST, CONTROL, SQLITE_MEMBER, PG_MEMBER, CHECKSUMS)
               or (len(parts) > 1 and parts[0] == FILES))
    if unsafe or not allowed:
        raise BackupError(f"the archive holds an unexpected entry {name!r}; it is not a Peyvand "
                          "backup or it was tampered with")
    path = staging.joinpath(*parts)
    if not path.resolve().is_relative_to(staging.resolve()):
        raise BackupError(f"the archive entry {name!r} points outside the restore folder")
    return path


def _open_archive(raw, passphrase: str | None):
    """The readable stream of the archive's tar.gz bytes (decrypting if needed)."""
    head = raw.read(len(_MAGIC))
    raw.seek(0)
    if head == _MAGIC:
        if passphrase is None:
            raise BackupError("this backup is encrypted: pass --passphrase-env VAR, naming the "
                              "environment variable that holds its passphrase")
        return _DecryptingReader(raw, passphrase)
    if head[:2] != b"\x1f\x8b":
        raise BackupError("this file is not a Peyvand backup (neither a .tar.gz archive nor an "
                          "encrypted backup)")
    return raw


def _unpack(archive: Path, passphrase: str | None, staging: Path) -> tuple[dict, dict, int]:
    """Extract and verify the whole archive into ``staging``; ``(manifest, control, files)``."""
    sums: dict[str, str] = {}
    expected = None
    seen = set()
    try:
        with open(archive, "rb") as raw:
            stream = _open_archive(raw, passphrase)
            with tarfile.open(fileobj=stream, mode="r|gz") as tar:
                for member in tar:
                    if expected is not None:
                        raise BackupError("the archive has entries after its checksum list; it "
                                          "was tampered with")
                    if member.name in seen:
                        raise BackupError(f"the archive holds {member.name!r} twice")
                    seen.add(member.name)
                    if member.isdir():
                        _member_path(staging, member.name, True).mkdir(parents=True,
                                                                       exist_ok=True)
                        continue
                    if not member.isreg():
                        raise BackupError(f"the archive entry {member.name!r} is not a plain "
                                          "file; it is not a Peyvand backup")
                    path = _member_path(staging, member.name, False)
                    if member.name == CHECKSUMS:
                        expected = json.loads(tar.extractfile(member).read())
                        continue
                    path.parent.mkdir(parents=True, exist_ok=True)
                    digest = hashlib.sha256()
                    source = tar.extractfile(member)
                    with open(path, "wb") as out:
                        while chunk := source.read(1 << 20):
                            digest.update(chunk)
                            out.write(chunk)
                    sums[member.name] = digest.hexdigest()
            if isinstance(stream, _DecryptingReader):
                stream.finish()
    except (tarfile.TarError, EOFError, zlib.error, ValueError) as exc:
        raise BackupError(f"{archive} is truncated or damaged ({exc}); nothing was restored"
                          ) from None
    if expected is None:
        raise BackupError(f"{archive} is truncated or damaged (its checksum list is missing); "
                          "nothing was restored")
    if not isinstance(expected, dict) or expected != sums:
        bad = sorted(n for n in set(expected or {}) | set(sums)
                     if (expected or {}).get(n) != sums.get(n))
        raise BackupError(f"{archive} is damaged: {', '.join(bad[:5])} do not match their "
                          "checksums; nothing was restored")
    try:
        manifest = json.loads((staging / MANIFEST).read_text("utf-8"))
        control = json.loads((staging / CONTROL).read_text("utf-8"))
    except FileNotFoundError as exc:
        raise BackupError(f"{archive} lacks {Path(exc.filename).name}; it is not a Peyvand "
                          "backup") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{archive} is not a Peyvand backup (its manifest has format "
                          f"{manifest.get('format') if isinstance(manifest, dict) else None!r})")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise BackupError(f"{archive} has backup format version {version}, newer than this "
                          f"Peyvand understands ({FORMAT_VERSION}); upgrade Peyvand first")
    if manifest.get("database") not in ("sqlite", "postgresql"):
        raise BackupError(f"{archive} names an unknown database kind "
                          f"{manifest.get('database')!r}")
    member = SQLITE_MEMBER if manifest["database"] == "sqlite" else PG_MEMBER
    if member not in sums:
        raise BackupError(f"{archive} lacks its database ({member}); nothing was restored")
    check_tenant_name(str(manifest.get("tenant", "")))
    files = sum(1 for name in sums if name.startswith(FILES + "/"))
    return manifest, control, files


# -- encryption -----------------------------------------------------------------------------------

_MAGIC = b"PEYVAND-ENCRYPTED-BACKUP\n"
_CHUNK = 1 << 20
_SCRYPT = {"n": 2 ** 17, "r": 8, "p": 1}
_SCRYPT_LIMITS = {"n": 2 ** 20, "r": 32, "p": 16}


def _check_passphrase(passphrase: str) -> None:
    if not passphrase:
        raise BackupError("the passphrase is empty")


def _derive(passphrase: str, salt: bytes, n: int, r: int, p: int) -> tuple[bytes, bytes]:
    """``(key, check)``: the AES key, and a value stored in the header to spot a wrong passphrase.

    Both come from one scrypt output; knowing ``check`` tells nothing about ``key``.
    """
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    secret = unicodedata.normalize("NFC", passphrase).encode("utf-8")
    derived = Scrypt(salt=salt, length=64, n=n, r=r, p=p).derive(secret)
    return derived[:32], derived[32:]


class _EncryptingWriter:
    """A write-only stream that encrypts what is written to it, in authenticated chunks.

    File layout: ``_MAGIC``, one JSON header line (KDF parameters, salt, nonce prefix, passphrase
    check), then records ``flag (1 byte) | length (4 bytes) | AES-GCM ciphertext+tag``. Chunk
    ``i`` uses the nonce ``prefix (7) | i (4) | flag (1)`` and the magic plus header as
    associated data, so chunks cannot be reordered, dropped, swapped between files or cut off
    (the last chunk, and only it, has flag 1).
    """

    def __init__(self, raw, passphrase: str):
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        _check_passphrase(passphrase)
        salt = secrets.token_bytes(16)
        self._prefix = secrets.token_bytes(7)
        key, check = _derive(passphrase, salt, **_SCRYPT)
        header = {"cipher": "AES-256-GCM", "kdf": "scrypt", **_SCRYPT,
                  "salt": base64.b64encode(salt).decode(),
                  "nonce_prefix": base64.b64encode(self._prefix).decode(),
                  "check": base64.b64encode(check).decode(), "chunk": _CHUNK, "version": 1}
        line = json.dumps(header, sort_keys=True).encode() + b"\n"
        self._aad = _MAGIC + line
        self._raw = raw
        self._aes = AESGCM(key)
        self._buffer = bytearray()
        self._counter = 0
        self._closed = False
        raw.write(self._aad)

    def write(self, data) -> int:
        self._buffer += data
        while len(self._buffer) >= _CHUNK:
            self._emit(bytes(self._buffer[:_CHUNK]), last=False)
            del self._buffer[:_CHUNK]
        return len(data)

    def flush(self) -> None:
        pass

    def _emit(self, plain: bytes, last: bool) -> None:
        if self._counter >= 2 ** 32:
            raise BackupError("the backup is too large to encrypt")
        flag = 1 if last else 0
        nonce = self._prefix + self._counter.to_bytes(4, "big") + bytes([flag])
        sealed = self._aes.encrypt(nonce, plain, self._aad)
        self._raw.write(bytes([flag]) + len(sealed).to_bytes(4, "big") + sealed)
        self._counter += 1

    def close(self) -> None:
        if not self._closed:
            self._emit(bytes(self._buffer), last=True)
            self._buffer.clear()
            self._closed = True


class _DecryptingReader:
    """Reads what :class:`_EncryptingWriter` wrote; every chunk is checked before use."""

    def __init__(self, raw, passphrase: str):
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        _check_passphrase(passphrase)
        if raw.read(len(_MAGIC)) != _MAGIC:
            raise BackupError("this file is not an encrypted Peyvand backup")
        line = raw.readline(4096)
        try:
            header = json.loads(line)
            params = {k: int(header[k]) for k in ("n", "r", "p")}
            salt = base64.b64decode(header["salt"])
            self._prefix = base64.b64decode(header["nonce_prefix"])
            check = base64.b64decode(header["check"])
            ok = (header.get("cipher") == "AES-256-GCM" and header.get("kdf") == "scrypt"
                  and len(self._prefix) == 7 and len(salt) >= 16
                  and all(1 <= params[k] <= _SCRYPT_LIMITS[k] for k in params))
        except (ValueError, KeyError, TypeError):
            ok = False
        if not ok:
            raise BackupError("the header of this encrypted backup is damaged or of an unknown "
                              "kind")
        key, expected = _derive(passphrase, salt, **params)
        if not hmac.compare_digest(check, expected):
            raise BackupError("wrong passphrase: this backup cannot be decrypted with it")
        self._aad = _MAGIC + line
        self._raw = raw
        self._aes = AESGCM(key)
        self._counter = 0
        self._buffer = b""
        self._pos = 0
        self._done = False

    def _next(self) -> bytes:
        from cryptography.exceptions import InvalidTag

        head = self._raw.read(5)
        if len(head) < 5:
            raise BackupError("the encrypted backup is truncated (its last part is missing); "
                              "nothing was restored")
        flag, length = head[0], int.from_bytes(head[1:], "big")
        if flag not in (0, 1) or length > _CHUNK + 16:
            raise BackupError("the encrypted backup is damaged; nothing was restored")
        sealed = self._raw.read(length)
        if len(sealed) < length:
            raise BackupError("the encrypted backup is truncated; nothing was restored")
        nonce = self._prefix + self._counter.to_bytes(4, "big") + bytes([flag])
        try:
            plain = self._aes.decrypt(nonce, sealed, self._aad)
        except InvalidTag:
            raise BackupError("the encrypted backup is damaged or was tampered with (chunk "
                              f"{self._counter} fails its check); nothing was restored") from None
        self._counter += 1
        if flag:
            self._done = True
            if self._raw.read(1):
                raise BackupError("the encrypted backup has data after its end; it was "
                                  "tampered with")
        return plain

    def read(self, size: int = -1) -> bytes:
        out = bytearray()
        while size < 0 or len(out) < size:
            left = len(self._buffer) - self._pos
            if left <= 0:
                if self._done:
                    break
                self._buffer, self._pos = self._next(), 0
                continue
            take = left if size < 0 else min(left, size - len(out))
            out += self._buffer[self._pos:self._pos + take]
            self._pos += take
        return bytes(out)

    def finish(self) -> None:
        """Read to the authenticated end, so a cut-off file is noticed even past the tar end."""
        while not self._done:
            self._next()


# -- SQLite ---------------------------------------------------------------------------------------

def _sqlite_tables(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' "
        "ESCAPE '\\' ORDER BY name")]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sqlite_snapshot(source: Path, target: Path) -> dict[str, int]:
    """Copy the tenant database with SQLite's online backup API; row count per table."""
    if not source.is_file():
        raise BackupError(f"the tenant's database {source} does not exist")
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        src.execute("PRAGMA busy_timeout = 10000")
        src.backup(dst)  # all pages in one step: one consistent snapshot
        dst.execute("PRAGMA journal_mode = DELETE")  # a single self-contained file
        return {t: dst.execute(f"SELECT COUNT(*) FROM {_quote(t)}").fetchone()[0]
                for t in _sqlite_tables(dst)}
    finally:
        dst.close()
        src.close()


def _kernel_tables(kernel) -> set[str]:
    from .kernel import KERNEL_PLUGIN

    return {m._meta.table_name for m in kernel.plugin_models(KERNEL_PLUGIN)}


def _emptiness_problems(kernel, tables: dict[str, int | None]) -> list[str]:
    """Why a tenant holding ``tables`` (name → rows) is not empty; ``[]`` if it is."""
    kernel_tables = _kernel_tables(kernel)
    problems = []
    for table, rows in sorted(tables.items()):
        if table.endswith("_migrations"):
            continue
        if table not in kernel_tables:
            problems.append(f"table {table} exists")
        elif table not in SEEDED_TABLES and rows:
            problems.append(f"table {table} has {rows} rows")
    return problems


def _refuse_states(kernel, tenant: str) -> None:
    with kernel.storage.control.connection_context():
        names = [s.plugin for s in kernel.PluginState.select(kernel.PluginState.plugin)
                 .where(kernel.PluginState.tenant == tenant)]
    if names:
        raise BackupError(
            f"cannot restore into tenant {tenant!r}: it is not empty (plugins have been enabled "
            f"for it: {', '.join(sorted(names))}). A restore never overwrites: restore into a "
            "new tenant (--tenant NAME) or a fresh instance")


def _restore_sqlite(kernel, tenant: str, control: dict, staged_db: Path,
                    staged_files: Path | None, files_root: Path) -> None:
    storage = kernel.storage
    target = storage.tenant_path(tenant)
    target.parent.mkdir(parents=True, exist_ok=True)
    check = sqlite3.connect(staged_db)
    try:
        if check.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise BackupError("the database in the backup is damaged; nothing was restored")
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"the database in the backup cannot be read ({exc}); nothing was "
                          "restored") from None
    finally:
        check.close()
    # Stage next to the target, so putting it in place is one rename.
    incoming = target.with_name(f".{target.name}.incoming-{secrets.token_hex(4)}")
    shutil.move(staged_db, incoming)
    files_incoming = _stage_files(staged_files, files_root)
    # The process's own connection to the tenant must not outlive the file it points at.
    storage.forget_tenant(tenant)
    undo: list = []
    aside: list[Path] = []
    try:
        if target.exists():
            conn = sqlite3.connect(target)
            try:
                conn.execute("PRAGMA busy_timeout = 10000")
                present = {t: conn.execute(f"SELECT COUNT(*) FROM {_quote(t)}").fetchone()[0]
                           for t in _sqlite_tables(conn)}
            finally:
                conn.close()
            problems = _emptiness_problems(kernel, present)
            if problems:
                raise BackupError(_not_empty(tenant, problems))
        control_db = storage.control
        with control_db.connection_context(), control_db.atomic():
            _refuse_states(kernel, tenant)
            _write_control(kernel, tenant, control)
            aside = _swap_sqlite(target, incoming, undo)
            _swap_files(files_incoming, files_root, undo)
        # leaving the block committed the control rows: the restore is done
    except BaseException as exc:
        for action in reversed(undo):
            action()
        _raise_rolled_back(exc, tenant)
    finally:
        with contextlib.suppress(FileNotFoundError):
            incoming.unlink()
        if files_incoming is not None:
            shutil.rmtree(files_incoming, ignore_errors=True)
    for path in aside:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _raise_rolled_back(exc: BaseException, tenant: str):
    if isinstance(exc, PeyvandError) or not isinstance(exc, Exception):
        raise exc
    raise BackupError(f"the restore failed and was rolled back ({type(exc).__name__}: {exc}); "
                      f"tenant {tenant!r} is unchanged") from exc


def _swap_sqlite(target: Path, incoming: Path, undo: list) -> list[Path]:
    """Put ``incoming`` at ``target``; the old (empty) file and its WAL files are set aside.

    Returns the set-aside files, to delete once the restore committed. A stale ``-wal`` file
    must never meet the new database: SQLite would replay it into it.
    """
    token = secrets.token_hex(4)
    aside = []
    for suffix in ("", "-wal", "-shm", "-journal"):
        path = target.with_name(target.name + suffix)
        if path.exists():
            moved = path.with_name(f".{path.name}.replaced-{token}")
            os.replace(path, moved)
            aside.append(moved)
            undo.append(lambda p=path, m=moved: os.replace(m, p))
    os.replace(incoming, target)
    undo.append(lambda: target.unlink(missing_ok=True))
    return aside


def _stage_files(staged: Path | None, files_root: Path) -> Path | None:
    """Move the restored files next to their destination (same file system) ahead of time."""
    if staged is None:
        return None
    files_root.parent.mkdir(parents=True, exist_ok=True)
    incoming = files_root.with_name(f".{files_root.name}.incoming-{secrets.token_hex(4)}")
    shutil.move(staged, incoming)
    return incoming


def _swap_files(incoming: Path | None, files_root: Path, undo: list) -> None:
    if incoming is None:
        return
    if files_root.is_dir():
        files_root.rmdir()  # checked empty before; fails (and undoes) if it no longer is
        undo.append(lambda: files_root.mkdir(exist_ok=True))
    os.replace(incoming, files_root)
    undo.append(lambda: os.replace(files_root, incoming))


def _not_empty(tenant: str, problems: list[str]) -> str:
    return (f"cannot restore into tenant {tenant!r}: it is not empty ({'; '.join(problems[:5])}"
            f"{'; …' if len(problems) > 5 else ''}). A restore never overwrites: restore into a "
            "new tenant (--tenant NAME) or a fresh instance")


def _write_control(kernel, tenant: str, control: dict) -> None:
    """Add the tenant's row and plugin states to the control database (peewee, SQLite)."""
    created = _parse_dt((control.get("tenant") or {}).get("created_at"))
    kernel.Tenant.insert(name=tenant, **({"created_at": created} if created else {})
                         ).on_conflict_ignore().execute()
    for state in control.get("plugin_states") or []:
        kernel.PluginState.insert(
            tenant=tenant, plugin=state["plugin"], state=state["state"],
            version=state.get("version"),
            updated_at=_parse_dt(state.get("updated_at")) or datetime.datetime.now(datetime.UTC)
            .replace(tzinfo=None)).execute()


def _parse_dt(text) -> datetime.datetime | None:
    if not text:
        return None
    try:
        return datetime.datetime.fromisoformat(str(text))
    except ValueError:
        return None


# -- PostgreSQL -----------------------------------------------------------------------------------

def _pg_params(storage) -> dict:
    return storage.pg_params


def _pg_connect(storage):
    try:
        import psycopg
    except ImportError:  # pragma: no cover - the postgresql extra brings it
        raise BackupError("PostgreSQL support needs psycopg: pip install 'peyvand[postgresql]'"
                          ) from None
    params = _pg_params(storage)
    params["dbname"] = params.pop("database")
    try:
        return psycopg.connect(**params)
    except psycopg.OperationalError as exc:
        raise BackupError(f"cannot connect to PostgreSQL ({exc})") from None


def _pg_dump(storage, schema: str, target: Path) -> None:
    """``pg_dump`` of ``schema`` only, as plain SQL (one consistent snapshot)."""
    binary = shutil.which("pg_dump")
    if binary is None:
        raise BackupError("pg_dump is not installed or not on PATH; install the PostgreSQL "
                          "client tools (on Debian: apt-get install postgresql-client)")
    params = _pg_params(storage)
    env = dict(os.environ)
    if params.get("password"):
        env["PGPASSWORD"] = params["password"]  # never on the command line
    args = [binary, "--format=plain", "--encoding=UTF8", "--no-owner", "--no-privileges",
            "--strict-names", f'--schema="{schema}"', "--lock-wait-timeout=60000",
            "--no-password", f"--file={target}", f"--host={params['host']}",
            f"--port={params['port']}", f"--dbname={params['database']}"]
    if params.get("user"):
        args.append(f"--username={params['user']}")
    result = subprocess.run(args, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"pg_dump failed: {result.stderr.strip() or result.returncode}")


def _count_dump_rows(dump: Path) -> dict[str, int]:
    """Rows per table in a plain dump; also proves the restore can read it."""
    counts: dict[str, int] = {}
    for event, value in _dump_events(dump, None, None):
        if event == "copy":
            table = _copy_table(value)
            counts[table] = 0
        elif event == "row":
            counts[table] += 1
    return counts


def _restore_postgres(kernel, tenant: str, manifest: dict, control: dict, dump: Path,
                      staged_files: Path | None, files_root: Path) -> None:
    from psycopg import sql

    storage = kernel.storage
    source = manifest.get("source_schema")
    if not source:
        raise BackupError("the backup does not name the schema it was taken from")
    target = storage.tenant_schema(tenant)
    files_incoming = _stage_files(staged_files, files_root)
    undo: list = []
    conn = _pg_connect(storage)
    try:
        with conn.transaction():
            cur = conn.cursor()
            cur.execute("SET LOCAL lock_timeout = '30s'")
            _pg_refuse_non_empty(kernel, cur, tenant, target)
            cur.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
                sql.Identifier(target)))
            _pg_replay(cur, dump, source, target)
            _pg_write_control(kernel, cur, tenant, control)
            _swap_files(files_incoming, files_root, undo)
        # leaving the block committed the transaction
    except BaseException as exc:
        for action in reversed(undo):
            action()
        _raise_rolled_back(exc, tenant)
    finally:
        conn.close()
        if files_incoming is not None:
            shutil.rmtree(files_incoming, ignore_errors=True)


def _pg_refuse_non_empty(kernel, cur, tenant: str, schema: str) -> None:
    from psycopg import sql

    tables = [r[0] for r in cur.execute(
        "SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = %s ORDER BY tablename",
        (schema,))]
    others = [f"{kind} {name} exists" for kind, name in cur.execute(
        "SELECT CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' "
        "ELSE 'foreign table' END, c.relname FROM pg_catalog.pg_class c "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relkind IN ('v', 'm', 'f') "
        "UNION ALL SELECT 'function', p.proname FROM pg_catalog.pg_proc p "
        "JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = %s",
        (schema, schema))]
    counts = {}
    for table in tables:
        name = sql.Identifier(schema, table)
        # Nobody may write into the tenant between this check and the swap.
        cur.execute(sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(name))
        counts[table] = cur.execute(sql.SQL("SELECT COUNT(*) FROM {}").format(name)).fetchone()[0]
    problems = _emptiness_problems(kernel, counts) + others
    if problems:
        raise BackupError(_not_empty(tenant, problems))
    state = sql.Identifier(kernel.storage.control_schema, kernel.PluginState._meta.table_name)
    names = [r[0] for r in cur.execute(
        sql.SQL("SELECT plugin FROM {} WHERE tenant = %s ORDER BY plugin").format(state),
        (tenant,))]
    if names:
        raise BackupError(
            f"cannot restore into tenant {tenant!r}: it is not empty (plugins have been enabled "
            f"for it: {', '.join(names)}). A restore never overwrites: restore into a new tenant "
            "(--tenant NAME) or a fresh instance")


def _pg_replay(cur, dump: Path, source: str, target: str) -> None:
    copy = None
    try:
        for event, value in _dump_events(dump, source, target):
            if event == "sql":
                cur.execute(value, prepare=False)
            elif event == "copy":
                copy = cur.copy(value)
                writer = copy.__enter__()
            elif event == "row":
                writer.write(value)
            elif event == "end":
                copy.__exit__(None, None, None)
                copy = None
    except BaseException as exc:
        if copy is not None:
            with contextlib.suppress(Exception):
                copy.__exit__(type(exc), exc, exc.__traceback__)
        raise


def _pg_write_control(kernel, cur, tenant: str, control: dict) -> None:
    from psycopg import sql

    schema = kernel.storage.control_schema
    tenants = sql.Identifier(schema, kernel.Tenant._meta.table_name)
    states = sql.Identifier(schema, kernel.PluginState._meta.table_name)
    created = _parse_dt((control.get("tenant") or {}).get("created_at"))
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    cur.execute(sql.SQL("INSERT INTO {} (name, created_at) VALUES (%s, %s) "
                        "ON CONFLICT (name) DO NOTHING").format(tenants),
                (tenant, created or now))
    for state in control.get("plugin_states") or []:
        cur.execute(sql.SQL("INSERT INTO {} (tenant, plugin, state, version, updated_at) "
                            "VALUES (%s, %s, %s, %s, %s)").format(states),
                    (tenant, state["plugin"], state["state"], state.get("version"),
                     _parse_dt(state.get("updated_at")) or now))


# -- reading a plain pg_dump ----------------------------------------------------------------------

def _dump_events(dump: Path, source: str | None, target: str | None) -> Iterator[tuple]:
    """Walk a plain ``pg_dump`` file: ``("sql", statement)``, ``("copy", statement)``, then
    ``("row", raw bytes)`` per data line and ``("end", None)``. With ``source`` and ``target``
    the statements name ``target`` wherever the dump named the schema ``source``; data rows
    are never changed.
    """
    scanner = _SqlScanner(source, target)
    in_copy = False
    with open(dump, "rb") as f:
        for raw in f:
            if in_copy:
                if raw.rstrip(b"\r\n") == b"\\.":
                    in_copy = False
                    yield "end", None
                else:
                    yield "row", raw
                continue
            line = raw.decode("utf-8")
            if scanner.idle() and line.startswith("\\"):
                command = line.split(None, 1)[0]
                if command in ("\\restrict", "\\unrestrict"):
                    continue  # psql's guard against crafted dumps; nothing to run
                raise BackupError(f"the dump holds the psql command {command!r}, which a "
                                  "restore cannot run")
            for statement in scanner.feed(line):
                if _is_copy_from_stdin(statement):
                    if scanner.pending_code():
                        raise BackupError("unexpected SQL after a COPY statement in the dump")
                    in_copy = True
                    yield "copy", statement
                else:
                    yield "sql", statement
    if in_copy or scanner.pending_code():
        raise BackupError("the database dump in the backup is cut off")


def _is_copy_from_stdin(statement: str) -> bool:
    words = [t[1].lower() for t in _lex(statement)[0] if t[0] == "ident"]
    return len(words) >= 3 and words[0] == "copy" and words[-2:] == ["from", "stdin"]


def _copy_table(statement: str) -> str:
    tokens = [t for t in _lex(statement)[0] if t[0] not in ("ws", "comment")]
    names = [_unquote(t) for t in tokens[1:4]]
    if len(tokens) > 3 and tokens[2][1] == ".":
        return names[2]
    return names[0]


def _unquote(token: tuple[str, str]) -> str:
    kind, text = token
    if kind == "qident":
        return text[1:-1].replace('""', '"')
    return text.lower() if kind == "ident" else text


def _is_ident_char(c: str, first: bool = False) -> bool:
    if c == "_" or c.isalpha() or ord(c) >= 128:
        return True
    return not first and (c.isdigit() or c == "$")


def _lex(text: str) -> tuple[list[tuple[str, str]], bool]:
    """Tokens of SQL ``text`` and whether it ends outside any quote or comment.

    Kinds: ``ws``, ``comment``, ``ident``, ``qident`` ("quoted"), ``string`` ('…', with its
    ``E`` prefix if any), ``dollar`` ($tag$…$tag$), ``semicolon`` and ``other``.
    """
    tokens: list[tuple[str, str]] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            j = i
            while j < n and text[j].isspace():
                j += 1
            tokens.append(("ws", text[i:j]))
        elif text.startswith("--", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            tokens.append(("comment", text[i:j]))
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            if depth:
                return tokens, False
            tokens.append(("comment", text[i:j]))
        elif c == "'" or (c in "eE" and text.startswith("'", i + 1)):
            escapes = c != "'"
            j = i + (2 if escapes else 1)
            while True:
                if j >= n:
                    return tokens, False
                if escapes and text[j] == "\\":
                    j += 2
                elif text[j] == "'":
                    if text.startswith("'", j + 1):
                        j += 2
                    else:
                        j += 1
                        break
                else:
                    j += 1
            tokens.append(("string", text[i:j]))
        elif c == '"':
            j = i + 1
            while True:
                if j >= n:
                    return tokens, False
                if text[j] == '"':
                    if text.startswith('"', j + 1):
                        j += 2
                    else:
                        j += 1
                        break
                else:
                    j += 1
            tokens.append(("qident", text[i:j]))
        elif c == "$" and (match := _dollar_tag(text, i)) is not None:
            end = text.find(match, i + len(match))
            if end < 0:
                return tokens, False
            j = end + len(match)
            tokens.append(("dollar", text[i:j]))
        elif _is_ident_char(c, first=True):
            j = i + 1
            while j < n and _is_ident_char(text[j]):
                j += 1
            tokens.append(("ident", text[i:j]))
        elif c == ";":
            j = i + 1
            tokens.append(("semicolon", c))
        else:
            j = i + 1
            tokens.append(("other", c))
        i = j
    return tokens, True


def _dollar_tag(text: str, i: int) -> str | None:
    """``$tag$`` starting at ``text[i]`` (a dollar quote opener), else ``None``."""
    j = i + 1
    if j < len(text) and text[j] == "$":
        return "$$"
    if j < len(text) and _is_ident_char(text[j], first=True):
        while j < len(text) and _is_ident_char(text[j]) and text[j] != "$":
            j += 1
        if j < len(text) and text[j] == "$":
            return text[i:j + 1]
    return None


class _SqlScanner:
    """Splits SQL fed line by line into statements, renaming schema ``source`` to ``target``."""

    def __init__(self, source: str | None, target: str | None):
        self.source, self.target = source, target
        self.buffer = ""

    def idle(self) -> bool:
        """True between statements (only whitespace or comments buffered)."""
        return not self.pending_code()

    def pending_code(self) -> bool:
        tokens, complete = _lex(self.buffer)
        return not complete or any(k not in ("ws", "comment") for k, _ in tokens)

    def feed(self, text: str) -> list[str]:
        self.buffer += text
        tokens, complete = _lex(self.buffer)
        if not complete:
            return []
        statements, current = [], []
        for token in tokens:
            if token[0] == "semicolon":
                statements.append("".join(current) + ";")
                current = []
            else:
                current.append(self._rename(token))
        self.buffer = "".join(t[1] for t in tokens[len(tokens) - _tail(tokens):])
        return statements

    def _rename(self, token: tuple[str, str]) -> str:
        kind, text = token
        source = self.source
        if source is None or source == self.target:
            return text
        new = f'"{self.target}"'
        if kind == "ident" and text.lower() == source:
            return new
        if kind == "qident" and text[1:-1].replace('""', '"') == source:
            return new
        if kind == "string" and text.startswith("'"):
            body = text[1:-1].replace("''", "'")
            for prefix in (f"{source}.", f'"{source}".'):
                if body.startswith(prefix):
                    return "'" + (new + "." + body[len(prefix):]).replace("'", "''") + "'"
        return text


def _tail(tokens: list[tuple[str, str]]) -> int:
    """How many tokens follow the last semicolon."""
    for back, token in enumerate(reversed(tokens)):
        if token[0] == "semicolon":
            return back
    return len(tokens)


# -- export ---------------------------------------------------------------------------------------

class _SqliteReader:
    def __init__(self, path: Path):
        if not path.is_file():
            raise BackupError(f"the tenant's database {path} does not exist")
        self.conn = sqlite3.connect(path)
        self.conn.execute("PRAGMA busy_timeout = 10000")
        self.conn.execute("BEGIN")  # one read transaction: every table from the same snapshot

    def tables(self) -> list[str]:
        return _sqlite_tables(self.conn)

    def rows(self, table: str):
        keys = [r[1] for r in sorted(
            (r for r in self.conn.execute(f"PRAGMA table_info({_quote(table)})") if r[5]),
            key=lambda r: r[5])]
        order = ", ".join(_quote(k) for k in keys) if keys else "rowid"
        cur = self.conn.execute(f"SELECT * FROM {_quote(table)} ORDER BY {order}")
        return [d[0] for d in cur.description], cur

    def close(self):
        self.conn.rollback()
        self.conn.close()


class _PostgresReader:
    def __init__(self, storage, schema: str):
        import psycopg

        self.schema = schema
        self.conn = _pg_connect(storage)
        self.conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        self.conn.read_only = True

    def tables(self) -> list[str]:
        return [r[0] for r in self.conn.execute(
            "SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = %s "
            "ORDER BY tablename", (self.schema,))]

    def rows(self, table: str):
        from psycopg import sql

        name = sql.Identifier(self.schema, table)
        keys = [r[0] for r in self.conn.execute(
            "SELECT a.attname FROM pg_catalog.pg_index i JOIN pg_catalog.pg_attribute a "
            "ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
            "WHERE i.indrelid = %s::regclass AND i.indisprimary "
            "ORDER BY array_position(i.indkey::int2[], a.attnum)",
            (name.as_string(self.conn),))]
        query = sql.SQL("SELECT * FROM {}").format(name)
        if keys:
            query += sql.SQL(" ORDER BY {}").format(sql.SQL(", ").join(map(sql.Identifier, keys)))
        cur = self.conn.cursor(name=f"peyvand_export_{secrets.token_hex(4)}")
        cur.itersize = 2000
        cur.execute(query)

        def rows():
            with cur:  # closes the server-side cursor once the table is written
                yield from cur

        return [d.name for d in cur.description], rows()

    def close(self):
        self.conn.rollback()
        self.conn.close()


@contextlib.contextmanager
def _snapshot_reader(kernel, tenant: str):
    storage = kernel.storage
    reader = (_PostgresReader(storage, storage.tenant_schema(tenant)) if storage.is_postgres
              else _SqliteReader(storage.tenant_path(tenant)))
    try:
        yield reader
    finally:
        reader.close()


def _safe_file_name(table: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "_-." else "_" for c in table).lstrip(".")
    return cleaned or "table"


def _cell(value) -> str:
    """A CSV cell: formulas neutralised, ``None`` empty, everything else as text."""
    if value is None:
        return ""
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_START) else value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    return str(value)


def _json_value(value):
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    return value


def _write_csv(path: Path, columns: list[str], rows) -> int:
    count = 0
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([_cell(c) for c in columns])
        for row in rows:
            writer.writerow([_cell(v) for v in row])
            count += 1
    return count


def _write_json(path: Path, columns: list[str], rows) -> int:
    count = 0
    with open(path, "w", encoding="utf-8") as f:
        f.write("[")
        for row in rows:
            item = {c: _json_value(v) for c, v in zip(columns, row, strict=True)}
            f.write(("\n  " if count == 0 else ",\n  ")
                    + json.dumps(item, ensure_ascii=False, default=str))
            count += 1
        f.write("\n]\n" if count else "]\n")
    return count
