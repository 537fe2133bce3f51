"""Permission evaluation for a single record, for a user holding 10 roles.

``perm.record_check_us``: ``allows_record(actor, "contacts.person", "update", record)`` with
grants and team tree cached in the tenant's policy (target: under 20 µs). No raw baseline
exists for a permission decision, so ``baseline`` and ``ratio`` are null.
"""

from __future__ import annotations

from bench.harness import Context, measure, scenario


@scenario("perm", figures=("perm.record_check_us",))
def record_check(ctx: Context) -> None:
    try:
        from peyvand.config import load_settings
        from peyvand.identity import Grant, Role, Team, create_user
        from peyvand.kernel import Kernel
        from peyvand.permissions import allows_record
    except ImportError as exc:
        ctx.missing(f"peyvand not installed: {exc}")
    home = ctx.tmpdir("peyvand-bench-perm-")
    kernel = Kernel(load_settings(home=home, database_url=f"sqlite:///{home}/c.sqlite3"),
                    only=["contacts"])
    kernel.ensure_tenant("default")
    kernel.enable("contacts")
    with kernel.storage.bound("default"):
        Team.insert_many([(f"t{i}",) for i in range(200)], fields=[Team.name]).execute()
        keys = []
        for i in range(10):
            role = Role.create(key=f"role{i}", label_en=f"Role {i}")
            Grant.create(role=role, permission="contacts.person.update",
                         scope=("none", "own", "team")[i % 3])
            keys.append(role.key)
        user = create_user("ten-roles", roles=keys, teams=("t3", "t4"))
        actor = kernel.actor_for(user, "default")
        from peyvand_contacts.models import Person

        record = Person(id=1, last_name="x", owner_id=999, team_id=actor.primary_team)
        assert allows_record(actor, "contacts.person", "update", record)
    samples = measure(lambda: allows_record(actor, "contacts.person", "update", record),
                      rounds=ctx.pick(30, 60), inner=5000, warmup=2)
    ctx.report_samples("perm.record_check_us", samples, "us", roles=10)
    kernel.storage.close()
