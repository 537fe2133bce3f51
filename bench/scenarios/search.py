"""Global search (issue #7): ``GET /api/v1/search?q=`` over ``ctx.rows`` contacts.

``search.p50_ms`` / ``search.p99_ms``: median and 99th percentile of the time the real HTTP path
takes (Flask test client, API token, permission scope, the kernel merging the contacts
plugin's hits) for a mix of ~200 realistic queries, each run twice: last-name prefixes (a third
typed with Arabic ي/ك), first name plus the start of the last name, phone fragments as people
type them (``0912 345``, ``۰۹۱۲۳۴۵``, ``+98912…``), e-mail local parts and whole addresses,
organisation name words. Data: the cached generated tenant, loaded into a framework instance's
``contacts_person`` / ``contacts_organization`` tables with their ``search_text`` by one
``executemany`` per table in one transaction (the triggers index it on SQLite).

Baseline, interleaved query by query: raw ``sqlite3`` FTS5 ``MATCH`` of the same words (each
word as a prefix) on the same tables, the best 20 by FTS5's own ``rank`` (bm25), people and
organisations: what a hand-written FTS5 search costs, without HTTP, permissions or the tiered
ranking. The ``p99`` figure's baseline is the baseline's own 99th percentile.

``search.p50_ms.pg`` / ``search.p99_ms.pg``: the same on PostgreSQL (GIN index of the words);
baseline: raw psycopg ``@@`` of the same prefix tsquery on the same index, the best 20 by
``ts_rank``, people and organisations. (Unranked ``LIMIT 20`` or ``ORDER BY id LIMIT 20`` are
no baseline: they tempt the planner into scanning the table or its primary key and testing
every row, up to seconds for a rare word.)
"""

from __future__ import annotations

import random
import time

from bench import datagen
from bench.harness import Context, measure_interleaved, percentile, scenario

QUERIES = 200
LIMIT = 20
_ARABIC = str.maketrans("یک", "يك")
_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def _queries(people: list[tuple], seed: int = 7) -> list[str]:
    """~200 queries as users type them, from ``(first, last, email, phone, org)`` samples."""
    rng = random.Random(seed)
    out: list[str] = []
    while len(out) < QUERIES:
        first, last, email, phone, org = people[rng.randrange(len(people))]
        kind = rng.random()
        if kind < 0.30:                          # the start of a last name
            query = last[:rng.randint(3, max(3, len(last)))]
            if rng.random() < 0.35:
                query = query.translate(_ARABIC)
        elif kind < 0.45:                        # first name, start of the last name
            query = f"{first} {last[:rng.randint(2, max(2, len(last)))]}"
            if rng.random() < 0.35:
                query = query.translate(_ARABIC)
        elif kind < 0.70:                        # a phone number, from its start
            if not phone:
                continue
            local = "0" + phone[3:]
            style = rng.random()
            if style < 0.4:
                query = f"{local[:4]} {local[4:7]}"
            elif style < 0.7:
                query = local[:rng.randint(5, 11)]
            elif style < 0.85:
                query = local[:rng.randint(6, 11)].translate(_PERSIAN_DIGITS)
            else:
                query = phone[:rng.randint(7, 13)]
        elif kind < 0.88:                        # an e-mail: local part or whole address
            if not email:
                continue
            local = email.partition("@")[0]
            query = email if rng.random() < 0.3 else local[:rng.randint(4, max(4, len(local)))]
        else:                                    # one or two words of an organisation
            if not org:
                continue
            words = org.split()
            start = rng.randrange(len(words))
            query = " ".join(words[start:start + rng.randint(1, 2)])
        out.append(query)
    return out


def _rows(path, ctx: Context):
    """Organisations and people of the data set as the contacts plugin stores them."""
    from peyvand_contacts.search import organization_search_text, person_search_text

    t0 = time.perf_counter()
    org_ids: dict[str, int] = {}
    orgs, people, samples = [], [], []
    for c in datagen.iter_contacts(path):
        org = c["organisation"]
        org_id = None
        if org:
            org_id = org_ids.get(org)
            if org_id is None:
                org_id = org_ids[org] = len(org_ids) + 1
                orgs.append((org_id, org, c["created_at"], c["created_at"],
                             organization_search_text(org, None, None)))
        email = datagen.normalise_email(c["email"]) if c["email"] else None
        phone = datagen.normalise_phone(c["phone"]) if c["phone"] else None
        people.append((c["id"], c["first_name"], c["last_name"], email, phone, org_id,
                       c["owner_id"], c["team_id"], c["created_at"], c["created_at"],
                       person_search_text(c["first_name"], c["last_name"], email, phone, org)))
        if len(samples) < 50_000:
            samples.append((c["first_name"], c["last_name"], email, phone, org))
    ctx.log(f"{len(people):,} people, {len(orgs):,} organisations with their search text in "
            f"{time.perf_counter() - t0:.1f} s")
    return orgs, people, samples


ORG_INSERT = ("INSERT INTO contacts_organization (id, name, created_at, updated_at, search_text,"
              " version) VALUES ({p}, {p}, {p}, {p}, {p}, 1)")
PERSON_INSERT = ("INSERT INTO contacts_person (id, first_name, last_name, email, phone, "
                 "organization_id, owner_id, team_id, created_at, updated_at, search_text, "
                 "version, lifecycle_stage, consent_email, consent_sms) VALUES "
                 "({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, 1, 'lead', {f}, {f})")


def _instance(ctx: Context, database_url: str | None):
    """A framework instance with only contacts enabled, and an administrator's API token."""
    from peyvand.app import create_app
    from peyvand.config import load_settings
    from peyvand.identity import create_token, create_user
    from peyvand.kernel import Kernel

    home = ctx.tmpdir("peyvand-bench-search-")
    settings = load_settings(home=home, database_url=database_url
                             or f"sqlite:///{home}/control.sqlite3")
    kernel = Kernel(settings, only=["contacts"])
    kernel.ensure_tenant("default")
    kernel.enable("contacts")
    app = create_app({"TESTING": True}, kernel=kernel)
    with kernel.storage.bound("default"):
        token = create_token(create_user("bench", roles=("admin",)))
    kernel.bump_generation()
    return kernel, app, {"Authorization": f"Bearer {token}"}


def _load(ctx: Context, kernel, orgs, people, postgres: bool) -> None:
    db = kernel.storage.database_for("default")
    p = db.param
    t0 = time.perf_counter()
    with kernel.storage.bound("default"), db.atomic():
        cursor = db.cursor()
        cursor.executemany(ORG_INSERT.format(p=p), orgs)
        cursor.executemany(PERSON_INSERT.format(p=p, f="false"), people)
        if postgres:
            for table in ("contacts_organization", "contacts_person"):
                db.execute_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"(SELECT max(id) FROM {table}))")
    if postgres:   # as autovacuum would after a load this size
        with kernel.storage.bound("default"):
            db.execute_sql("ANALYZE")
    ctx.log(f"loaded into the instance (indexing included) in {time.perf_counter() - t0:.1f} s")


def _measure(ctx: Context, app, auth, queries, raw_search, suffix: str) -> None:
    from peyvand_contacts.search import parse_query

    client = app.test_client()
    words = [parse_query(q) for q in queries]
    state = {"i": 0}

    def framework():
        response = client.get("/api/v1/search", query_string={"q": queries[state["i"]]},
                              headers=auth)
        if response.status_code != 200:
            raise RuntimeError(f"search answered {response.status_code}: {response.json}")

    def baseline():
        raw_search(words[state["i"]])
        state["i"] = (state["i"] + 1) % len(queries)

    found = 0   # a warm-up pass, which also checks every query answers (and most find)
    for query in queries:
        response = client.get("/api/v1/search", query_string={"q": query}, headers=auth)
        if response.status_code != 200:
            raise RuntimeError(f"search {query!r} answered {response.status_code}")
        found += bool(response.json["data"])
    ctx.log(f"{len(queries)} queries, {found} with hits; e.g. {queries[:6]}")
    fw, base = measure_interleaved(framework, baseline, rounds=2 * len(queries), warmup=0)
    ctx.report_samples(f"search.p50_ms{suffix}", fw, "ms", base, rows=ctx.rows,
                       queries=len(queries))
    fw_p99, base_p99 = percentile(fw, 99) * 1e3, percentile(base, 99) * 1e3
    ctx.report(f"search.p99_ms{suffix}", fw_p99, "ms", rows=ctx.rows, baseline=base_p99,
               p50=percentile(fw, 50) * 1e3, max=max(fw) * 1e3, n=len(fw))


@scenario("search", figures=("search.p50_ms", "search.p99_ms"))
def search_sqlite(ctx: Context) -> None:
    import sqlite3

    try:
        import peyvand_contacts.search  # noqa: F401
    except ImportError as exc:
        ctx.missing(f"peyvand-contacts not installed: {exc}")
    orgs, people, samples = _rows(ctx.dataset(), ctx)
    kernel, app, auth = _instance(ctx, None)
    _load(ctx, kernel, orgs, people, postgres=False)
    del orgs, people
    raw = sqlite3.connect(kernel.storage.tenant_path("default"))

    def raw_search(words):
        match = " ".join(f'"{w}"*' for w in words)
        for table in ("contacts_person_fts", "contacts_organization_fts"):
            raw.execute(f"SELECT rowid FROM {table} WHERE {table} MATCH ? ORDER BY rank "
                        f"LIMIT {LIMIT}", (match,)).fetchall()

    _measure(ctx, app, auth, _queries(samples), raw_search, "")
    raw.close()
    kernel.storage.close()


@scenario("search.pg", figures=("search.p50_ms.pg", "search.p99_ms.pg"))
def search_postgres(ctx: Context) -> None:
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    from peyvand_contacts.search import PG_WORDS

    dsn = ctx.pg_dsn()
    params = conninfo_to_dict(dsn)
    prefix = f"bench{random.randrange(16**6):06x}_"
    url = (f"postgresql://{params.get('user', 'postgres')}@{params.get('host', '127.0.0.1')}:"
           f"{params.get('port', 5432)}/{params.get('dbname', 'test')}?schema_prefix={prefix}")
    orgs, people, samples = _rows(ctx.dataset(), ctx)
    kernel, app, auth = _instance(ctx, url)
    raw = psycopg.connect(dsn, autocommit=True)
    try:
        _load(ctx, kernel, orgs, people, postgres=True)
        del orgs, people
        raw.execute(f'SET search_path = "{kernel.storage.tenant_schema("default")}"')

        def raw_search(words):
            tsquery = " & ".join(f"'{w}':*" for w in words)   # words are letters and digits
            for table in ("contacts_person", "contacts_organization"):
                raw.execute(f"SELECT id FROM {table} WHERE {PG_WORDS} @@ %s::tsquery AND "
                            f"deleted_at IS NULL ORDER BY ts_rank({PG_WORDS}, %s::tsquery) "
                            f"DESC LIMIT {LIMIT}", (tsquery, tsquery)).fetchall()

        _measure(ctx, app, auth, _queries(samples), raw_search, ".pg")
    finally:
        kernel.storage.close()
        for (schema,) in raw.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE %s",
                                     (prefix + "%",)).fetchall():
            raw.execute(f'DROP SCHEMA "{schema}" CASCADE')
        raw.close()
