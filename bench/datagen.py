"""Deterministic generator of realistic CRM tenants for the benchmarks.

``dataset(rows)`` returns the path of a SQLite file with plain tables ``contacts``,
``deals``, ``activities``, ``notes``, ``duplicates`` and ``meta``; it is built on first use
and cached under ``bench/.cache/`` keyed by ``GENERATOR_VERSION``, row count and seed.
Bump ``GENERATOR_VERSION`` whenever the output of the generator changes.

What a tenant looks like (see ``bench/README.md`` for the full description):

* contacts: ~70% Persian names in Persian script, ~30% English names; Iranian mobile
  numbers in mixed formats; e-mails (some upper-case or with surrounding spaces);
  organisations; ``owner_id`` over 50 users, ``team_id`` over 200 teams; ``created_at``
  spread over 3 years and increasing with ``id``.
* exactly one row in every block of 20 (5%) is a *duplicate*: it repeats an earlier,
  non-duplicate contact's e-mail (different case/spacing) or mobile number (different
  format).  Apart from these, normalised e-mails and phone numbers are unique, so the
  ``duplicates`` table is the complete ground truth for e-mail/phone matching.
* deals (~0.5 per contact), activities (~1 per contact) and notes (~1 per contact).

Run ``python -m bench.datagen --rows 100000`` to build (and time) a dataset by hand.
"""

from __future__ import annotations

import contextlib
import os
import random
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

from bench import names as N

GENERATOR_VERSION = 2
DEFAULT_SEED = 1404
SIZES = (10_000, 100_000, 1_000_000)
DUPLICATE_BLOCK = 20  # one duplicate per block of 20 rows -> 5%
MAX_ROWS = 10_000_000  # the unique e-mail/phone scheme is a bijection below this

CONTACT_COLUMNS = (
    "id", "first_name", "last_name", "email", "phone", "organisation",
    "owner_id", "team_id", "created_at",
)
EXPORT_COLUMNS = CONTACT_COLUMNS[1:]  # CSV/XLSX: row N after the header is contact id N

# 2022-03-21 00:00:00 UTC (Nowruz 1401); data spans three years from there.
START_EPOCH = 1_647_820_800
SPAN_DAYS = 3 * 365
SPAN_S = SPAN_DAYS * 86_400
N_USERS = 50
N_TEAMS = 200
N_ORGS = 1_500

PHONE_STYLES = 8
# weights of the phone formats 0..7 (see _format_phone), sum 100
_PHONE_STYLE_WEIGHTS = (30, 15, 20, 5, 8, 10, 8, 4)
_FA_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
_AR_LETTERS = str.maketrans("یک", "يك")  # Persian -> Arabic yeh/kaf, a classic variant

DEAL_STAGES = ("lead", "qualified", "proposal", "negotiation", "won", "lost")
_STAGE_WEIGHTS = (25, 20, 15, 10, 18, 12)
_STAGE_PROBABILITY = {"lead": 10, "qualified": 25, "proposal": 50, "negotiation": 75,
                      "won": 100, "lost": 0}
ACTIVITY_KINDS = ("call", "meeting", "email", "task")
_ACTIVITY_WEIGHTS = (40, 20, 25, 15)

_SCHEMA = """
CREATE TABLE contacts (
    id INTEGER PRIMARY KEY, first_name TEXT NOT NULL, last_name TEXT NOT NULL,
    email TEXT, phone TEXT, organisation TEXT, owner_id INTEGER NOT NULL,
    team_id INTEGER NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE deals (
    id INTEGER PRIMARY KEY, contact_id INTEGER NOT NULL, title TEXT NOT NULL,
    stage TEXT NOT NULL, amount_rial INTEGER NOT NULL, probability INTEGER NOT NULL,
    expected_close TEXT NOT NULL, owner_id INTEGER NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE activities (
    id INTEGER PRIMARY KEY, contact_id INTEGER NOT NULL, kind TEXT NOT NULL,
    subject TEXT NOT NULL, due_at TEXT NOT NULL, done INTEGER NOT NULL,
    owner_id INTEGER NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE notes (
    id INTEGER PRIMARY KEY, contact_id INTEGER NOT NULL, author_id INTEGER NOT NULL,
    body TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE duplicates (
    contact_id INTEGER PRIMARY KEY, original_id INTEGER NOT NULL,
    match_on TEXT NOT NULL, match_key TEXT NOT NULL);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


# --------------------------------------------------------------------------- cache paths

def cache_dir() -> Path:
    """``$PEYVAND_BENCH_CACHE`` or ``bench/.cache``; created if missing."""
    env = os.environ.get("PEYVAND_BENCH_CACHE")
    path = Path(env) if env else Path(__file__).resolve().parent / ".cache"
    path.mkdir(parents=True, exist_ok=True)
    return path


def dataset_key(rows: int, seed: int = DEFAULT_SEED) -> str:
    return f"tenant-v{GENERATOR_VERSION}-n{rows}-s{seed}"


@contextlib.contextmanager
def _locked(target: Path):
    """Serialise builders of ``target`` (two benchmark runs may start at once)."""
    import fcntl

    with open(target.with_name(target.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _build_cached(target: Path, builder, log) -> Path:
    if target.exists():
        return target
    with _locked(target):
        if target.exists():
            return target
        tmp = target.with_name(f"{target.name}.tmp{os.getpid()}")
        tmp.unlink(missing_ok=True)
        t0 = time.perf_counter()
        try:
            builder(tmp)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        if log:
            log(f"built {target.name} in {time.perf_counter() - t0:.1f} s")
    return target


def dataset(rows: int, seed: int = DEFAULT_SEED, *, cache: Path | None = None,
            log=print) -> Path:
    """Path of the cached SQLite tenant with ``rows`` contacts; built on first use."""
    if not 1 <= rows <= MAX_ROWS:
        raise ValueError(f"rows must be between 1 and {MAX_ROWS}")
    target = (cache or cache_dir()) / f"{dataset_key(rows, seed)}.sqlite"
    if log and not target.exists():
        log(f"generating tenant with {rows:,} contacts (seed {seed}) -> {target}")
    return _build_cached(target, lambda tmp: build(tmp, rows, seed), log)


def contacts_csv(rows: int, seed: int = DEFAULT_SEED, *, bom: bool = False,
                 cache: Path | None = None, log=print) -> Path:
    """Contacts as a UTF-8 CSV file (with BOM if ``bom``), cached next to the dataset.

    Columns are ``EXPORT_COLUMNS``; data row N (after the header) is contact id N.
    """
    import csv

    src = dataset(rows, seed, cache=cache, log=log)
    target = src.with_name(f"{dataset_key(rows, seed)}{'-bom' if bom else ''}.csv")

    def write(tmp: Path) -> None:
        with open(tmp, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
            out = csv.writer(fh)
            out.writerow(EXPORT_COLUMNS)
            for batch in _iter_batches(src, EXPORT_COLUMNS):
                out.writerows(["" if v is None else v for v in row] for row in batch)

    return _build_cached(target, write, log)


def contacts_xlsx(rows: int, seed: int = DEFAULT_SEED, *, cache: Path | None = None,
                  log=print) -> Path:
    """Contacts as an XLSX workbook (one sheet ``contacts``), cached; needs openpyxl.

    Slow to produce (tens of seconds per 100k rows), hence cached like the dataset.
    """
    try:
        from openpyxl import Workbook
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise RuntimeError("contacts_xlsx needs openpyxl: pip install openpyxl") from exc

    src = dataset(rows, seed, cache=cache, log=log)
    target = src.with_name(f"{dataset_key(rows, seed)}.xlsx")

    def write(tmp: Path) -> None:
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("contacts")
        ws.append(EXPORT_COLUMNS)
        for batch in _iter_batches(src, EXPORT_COLUMNS):
            for row in batch:
                ws.append(row)
        with open(tmp, "wb") as fh:  # openpyxl wants a .xlsx name; hand it a file object
            wb.save(fh)

    if log and not target.exists():
        log(f"writing XLSX of {rows:,} contacts (slow, cached afterwards)")
    return _build_cached(target, write, log)


# --------------------------------------------------------------------------- reading

def _connect_ro(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def _iter_batches(path: Path, columns, table: str = "contacts",
                  batch: int = 10_000) -> Iterator[list[tuple]]:
    con = _connect_ro(path)
    try:
        cur = con.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY id")
        while True:
            rows = cur.fetchmany(batch)
            if not rows:
                return
            yield rows
    finally:
        con.close()


def iter_contacts(path: Path, *, as_tuples: bool = False,
                  columns=CONTACT_COLUMNS) -> Iterator:
    """Stream contacts in id order, as dicts (default) or as tuples in ``columns`` order."""
    for rows in _iter_batches(path, columns):
        if as_tuples:
            yield from rows
        else:
            for row in rows:
                yield dict(zip(columns, row, strict=True))


def iter_table(path: Path, table: str) -> Iterator[dict]:
    """Stream any generated table (``deals``, ``activities``, ``notes`` ...) as dicts."""
    con = _connect_ro(path)
    try:
        cols = [r[1] for r in con.execute(f"PRAGMA table_info({table})")]
    finally:
        con.close()
    if not cols:
        raise ValueError(f"no table {table!r} in {path}")
    for rows in _iter_batches(path, cols, table=table):
        for row in rows:
            yield dict(zip(cols, row, strict=True))


def duplicates(path: Path) -> dict[int, tuple[int, str, str]]:
    """``{duplicate contact id: (original id, 'email'|'phone', normalised key)}``."""
    con = _connect_ro(path)
    try:
        return {cid: (orig, on, key) for cid, orig, on, key in
                con.execute("SELECT contact_id, original_id, match_on, match_key "
                            "FROM duplicates")}
    finally:
        con.close()


def info(path: Path) -> dict[str, str]:
    """The ``meta`` table: generator version, seed and row counts of each table."""
    con = _connect_ro(path)
    try:
        return dict(con.execute("SELECT key, value FROM meta"))
    finally:
        con.close()


def normalise_phone(raw: str) -> str:
    """Reference normaliser for the formats this generator writes -> ``+989121234567``."""
    digits = "".join(ch for ch in raw.translate(_FROM_FA_DIGITS) if ch.isdigit())
    if digits.startswith("0098"):
        digits = digits[4:]
    elif digits.startswith("98") and len(digits) == 12:
        digits = digits[2:]
    elif digits.startswith("0"):
        digits = digits[1:]
    return "+98" + digits


_FROM_FA_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")


def normalise_email(raw: str) -> str:
    return raw.strip().lower()


# --------------------------------------------------------------------------- generation

def _table(values, weights, size: int = 1000) -> tuple:
    """Lookup table so that ``table[int(random() * size)]`` draws with ``weights``."""
    total = sum(weights)
    out: list = []
    for value, weight in zip(values, weights, strict=True):
        out.extend([value] * round(size * weight / total))
    out.extend([values[-1]] * (size - len(out)))
    return tuple(out[:size])


def _format_phone(op: str, suffix: str, style: int) -> str:
    if style == 0:
        return f"0{op}{suffix}"
    if style == 1:
        return f"0{op} {suffix[:3]} {suffix[3:]}"
    if style == 2:
        return f"+98{op}{suffix}"
    if style == 3:
        return f"0098{op}{suffix}"
    if style == 4:
        return f"{op}{suffix}"
    if style == 5:
        return f"0{op}{suffix}".translate(_FA_DIGITS)
    if style == 6:
        return f"0{op}-{suffix[:3]}-{suffix[3:]}"
    return f"+98 {op} {suffix[:3]} {suffix[3:]}"


def _organisations(seed: int) -> tuple[tuple[str, str], ...]:
    """A fixed pool of ``(name, domain)``; ~70% Persian names, skewed use later."""
    rng = random.Random(seed * 7 + 1)
    r = rng.random
    pool = []
    for _ in range(N_ORGS):
        if r() < 0.7:
            prefix = N.PERSIAN_ORG_PREFIX[int(r() * len(N.PERSIAN_ORG_PREFIX))]
            core_fa, core = N.PERSIAN_ORG_CORE[int(r() * len(N.PERSIAN_ORG_CORE))]
            suf_fa, suf = N.PERSIAN_ORG_SUFFIX[int(r() * len(N.PERSIAN_ORG_SUFFIX))]
            name = " ".join(p for p in (prefix, core_fa, suf_fa) if p)
            domain = f"{core}{suf}.{'ir' if r() < 0.7 else 'com'}"
        else:
            core = N.ENGLISH_ORG_CORE[int(r() * len(N.ENGLISH_ORG_CORE))]
            suf = N.ENGLISH_ORG_SUFFIX[int(r() * len(N.ENGLISH_ORG_SUFFIX))]
            form = N.ENGLISH_ORG_FORM[int(r() * len(N.ENGLISH_ORG_FORM))]
            name = f"{core} {suf} {form}"
            domain = f"{core}{suf}.com".lower()
        pool.append((name, domain))
    return tuple(pool)


def _email_variant(email: str, r) -> str:
    """Same normalised address, different raw spelling."""
    x = r()
    if x < 0.35:
        out = email.strip().upper()
    elif x < 0.6:
        out = email.strip().capitalize()
    elif x < 0.8:
        out = f"  {email.strip()} "
    else:
        local, _, domain = email.strip().partition("@")
        out = f"{local}@{domain.capitalize()}"
    return out if out != email else out + " "


def build(path: Path, rows: int, seed: int = DEFAULT_SEED, *, chunk: int = 20_000) -> dict:
    """Generate a tenant into a new SQLite file at ``path``; returns the row counts."""
    from datetime import date, timedelta

    t0 = time.perf_counter()
    rng = random.Random(seed)
    r = rng.random

    day0 = date(2022, 3, 21)
    day_str = [(day0 + timedelta(days=d)).isoformat() for d in range(SPAN_DAYS + 400)]
    hm = [f"{h:02d}:{m:02d}:" for h in range(24) for m in range(60)]

    def ts(offset: int) -> str:  # seconds since START_EPOCH -> 'YYYY-MM-DD HH:MM:SS'
        day, rest = divmod(offset, 86_400)
        return f"{day_str[day]} {hm[rest // 60]}{rest % 60:02d}"

    orgs = _organisations(seed)
    n_orgs = len(orgs)
    fa_given, fa_family = N.PERSIAN_GIVEN, N.PERSIAN_FAMILY
    en_given = tuple((g, g.lower()) for g in N.ENGLISH_GIVEN)
    en_family = tuple((f, f.lower().replace("'", "")) for f in N.ENGLISH_FAMILY)
    mail_domains = _table([d for d, _ in N.MAIL_DOMAINS], [w for _, w in N.MAIL_DOMAINS])
    phone_styles = _table(range(PHONE_STYLES), _PHONE_STYLE_WEIGHTS, 100)
    prefixes = N.MOBILE_PREFIXES
    owners = _table(range(1, N_USERS + 1), [1 + (u % 7) for u in range(N_USERS)])
    stages = _table(DEAL_STAGES, _STAGE_WEIGHTS, 100)
    kinds = _table(ACTIVITY_KINDS, _ACTIVITY_WEIGHTS, 100)
    products = N.DEAL_PRODUCTS
    subjects = N.ACTIVITY_SUBJECTS
    fragments = N.NOTE_FRAGMENTS
    per_contact_deals = _table((0, 1, 2, 3), (62, 27, 8, 3), 100)  # mean 0.52
    per_contact_items = _table((0, 1, 2, 3), (35, 35, 20, 10), 100)  # mean 1.05

    # what a later duplicate may need from an original row
    first_of: list = [None] * rows
    last_of: list = [None] * rows
    latin_of: list = [None] * rows  # (given, family) transliterated
    email_of: list = [None] * rows
    phone_of: list = [None] * rows  # (op, suffix, style)
    org_of: list = [None] * rows
    with_email: list[int] = []
    with_phone: list[int] = []
    taken: set[str] = set()  # e-mails without the unique 7-digit number, already used

    if path.exists():
        path.unlink()
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    con.executescript(_SCHEMA)
    con.execute("BEGIN")

    contacts: list[tuple] = []
    deals: list[tuple] = []
    acts: list[tuple] = []
    notes: list[tuple] = []
    dups: list[tuple] = []
    n_deals = n_acts = n_notes = 0
    dup_pos = -1

    def flush() -> None:
        con.executemany("INSERT INTO contacts VALUES (?,?,?,?,?,?,?,?,?)", contacts)
        con.executemany("INSERT INTO deals VALUES (?,?,?,?,?,?,?,?,?)", deals)
        con.executemany("INSERT INTO activities VALUES (?,?,?,?,?,?,?,?)", acts)
        con.executemany("INSERT INTO notes VALUES (?,?,?,?,?)", notes)
        con.executemany("INSERT INTO duplicates VALUES (?,?,?,?)", dups)
        for buf in (contacts, deals, acts, notes, dups):
            buf.clear()

    for i in range(rows):
        cid = i + 1
        if i % DUPLICATE_BLOCK == 0:
            dup_pos = 1 + int(r() * (DUPLICATE_BLOCK - 1)) if i == 0 else \
                int(r() * DUPLICATE_BLOCK)
        created_off = int(SPAN_S * (i + r()) / rows)
        created = ts(created_off)
        owner = owners[int(r() * 1000)]
        team = 1 + int(r() * N_TEAMS)
        # unique per row: bijections of i modulo 10**7
        phone_suffix = f"{(i * 3_639_061 + 5_112_347) % 10_000_000:07d}"
        email_num = (i * 7_368_787 + 1_234_567) % 10_000_000

        if i % DUPLICATE_BLOCK == dup_pos and (with_email or with_phone):
            # ---- a duplicate of an earlier original, matching on e-mail or phone
            on_email = bool(r() < 0.5 and with_email) or not with_phone
            pool = with_email if on_email else with_phone
            o = pool[int(r() * len(pool))]
            first, last = first_of[o], last_of[o]
            if r() < 0.25:
                first, last = first.translate(_AR_LETTERS), last.translate(_AR_LETTERS)
                if first == first_of[o] and last == last_of[o]:  # English name
                    first, last = first.upper(), last.upper()
            org = org_of[o] if r() < 0.7 else None
            if on_email:
                email = _email_variant(email_of[o], r)
                key = normalise_email(email)
                phone = None
                if r() < 0.5:
                    phone = _format_phone(prefixes[int(r() * len(prefixes))], phone_suffix,
                                          phone_styles[int(r() * 100)])
            else:
                op, suffix, style = phone_of[o]
                new_style = (style + 1 + int(r() * (PHONE_STYLES - 1))) % PHONE_STYLES
                phone = _format_phone(op, suffix, new_style)
                key = f"+98{op}{suffix}"
                email = None
                if r() < 0.4:  # a new address: unique through this row's email_num
                    g_lat, f_lat = latin_of[o]
                    email = f"{g_lat}.{f_lat}{email_num:07d}@{mail_domains[int(r() * 1000)]}"
            dups.append((cid, o + 1, "email" if on_email else "phone", key))
        else:
            # ---- an original contact
            if r() < 0.7:
                (first, g_lat), (last, f_lat) = (fa_given[int(r() * len(fa_given))],
                                                 fa_family[int(r() * len(fa_family))])
            else:
                (first, g_lat), (last, f_lat) = (en_given[int(r() * len(en_given))],
                                                 en_family[int(r() * len(en_family))])
            org_i = int(n_orgs * r() * r()) if r() < 0.8 else -1
            org = orgs[org_i][0] if org_i >= 0 else None
            email = None
            if r() < 0.8:
                pat = int(r() * 5)
                if pat == 0:
                    stem = f"{g_lat}.{f_lat}"
                elif pat == 1:
                    stem = f"{g_lat[0]}{f_lat}"
                elif pat == 2:
                    stem = g_lat
                elif pat == 3:
                    stem = f"{f_lat}.{g_lat}"
                else:
                    stem = f"{g_lat}_{f_lat}"
                if org_i >= 0 and r() < 0.3:
                    domain = orgs[org_i][1]
                else:
                    domain = mail_domains[int(r() * 1000)]
                # plain or with a 2-digit number when still free, else the row's unique
                # 7-digit number (never 2 digits, so never colliding with the first kinds)
                x = r()
                email = None
                if x < 0.5:
                    email = f"{stem}{50 + int(x * 196) if x < 0.25 else ''}@{domain}"
                    if email in taken:
                        email = None
                    else:
                        taken.add(email)
                if email is None:
                    email = f"{stem}{email_num:07d}@{domain}"
                x = r()
                if x < 0.03:
                    email = email.capitalize()
                elif x < 0.045:
                    email = email.upper()
                elif x < 0.065:
                    email = f" {email}" if x < 0.055 else f"{email}  "
                email_of[i] = email
                with_email.append(i)
            phone = None
            if r() < 0.92:
                op = prefixes[int(r() * len(prefixes))]
                style = phone_styles[int(r() * 100)]
                phone = _format_phone(op, phone_suffix, style)
                phone_of[i] = (op, phone_suffix, style)
                with_phone.append(i)
            first_of[i], last_of[i], org_of[i] = first, last, org
            latin_of[i] = (g_lat, f_lat)

        contacts.append((cid, first, last, email, phone, org, owner, team, created))

        for _ in range(per_contact_deals[int(r() * 100)]):
            n_deals += 1
            stage = stages[int(r() * 100)]
            d_off = created_off + int(r() * 60 * 86_400)
            close_day = d_off // 86_400 + 7 + int(r() * 174)
            amount = int(10 ** (7 + r() * 3.7)) // 10_000 * 10_000
            deals.append((n_deals, cid, products[int(r() * len(products))], stage, amount,
                          _STAGE_PROBABILITY[stage], day_str[close_day],
                          owner if r() < 0.8 else owners[int(r() * 1000)], ts(d_off)))
        for _ in range(per_contact_items[int(r() * 100)]):
            n_acts += 1
            kind = kinds[int(r() * 100)]
            subj = subjects[kind]
            a_off = created_off + int(r() * 30 * 86_400)
            due_off = a_off + int(r() * 90 * 86_400)
            acts.append((n_acts, cid, kind, subj[int(r() * len(subj))], ts(due_off),
                         1 if due_off < SPAN_S and r() < 0.85 else 0,
                         owner if r() < 0.9 else owners[int(r() * 1000)], ts(a_off)))
        for _ in range(per_contact_items[int(r() * 100)]):
            n_notes += 1
            k = 1 + int(r() * 3)
            body = " ".join(fragments[int(r() * len(fragments))] for _ in range(k))
            notes.append((n_notes, cid, owner if r() < 0.7 else owners[int(r() * 1000)],
                          body, ts(created_off + int(r() * 200 * 86_400))))

        if len(contacts) >= chunk:
            flush()
    flush()

    n_dups = con.execute("SELECT count(*) FROM duplicates").fetchone()[0]
    meta = {
        "generator_version": GENERATOR_VERSION, "seed": seed, "contacts": rows,
        "deals": n_deals, "activities": n_acts, "notes": n_notes, "duplicates": n_dups,
        "build_seconds": round(time.perf_counter() - t0, 2),
    }
    con.executemany("INSERT INTO meta VALUES (?, ?)", [(k, str(v)) for k, v in meta.items()])
    con.execute("COMMIT")
    con.close()
    return meta


# --------------------------------------------------------------------------- CLI

def main(argv=None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m bench.datagen",
                                 description="Build (and time) cached benchmark tenants.")
    ap.add_argument("--rows", type=int, nargs="+", default=[100_000])
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--csv", action="store_true", help="also write the contacts CSV")
    ap.add_argument("--xlsx", action="store_true", help="also write the contacts XLSX")
    ap.add_argument("--force", action="store_true", help="rebuild even if cached")
    args = ap.parse_args(argv)
    for rows in args.rows:
        if args.force:
            for suffix in (".sqlite", ".csv", "-bom.csv", ".xlsx"):
                (cache_dir() / f"{dataset_key(rows, args.seed)}{suffix}").unlink(
                    missing_ok=True)
        t0 = time.perf_counter()
        path = dataset(rows, args.seed)
        print(f"{path} ({time.perf_counter() - t0:.1f} s): {info(path)}")
        for flag, fn in ((args.csv, contacts_csv), (args.xlsx, contacts_xlsx)):
            if flag:
                t0 = time.perf_counter()
                out = fn(rows, args.seed)
                print(f"{out} ({time.perf_counter() - t0:.1f} s, "
                      f"{out.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
