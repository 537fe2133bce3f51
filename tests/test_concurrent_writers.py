"""Writers at once: on SQLite all must succeed (write transactions take the lock at
BEGIN and queue), not fail with "database is locked"."""

import threading

import pytest


@pytest.mark.peyvand_plugins("contacts")
def test_concurrent_writers_all_succeed(peyvand_app):
    kernel = peyvand_app.extensions["peyvand"]
    db = kernel.storage.database_for("default")
    service = kernel.service("contacts.person", "default")
    with kernel.storage.bound("default"):
        ids = [service.create({"last_name": f"p{i}"}).id for i in range(4)]
    errors = []

    def writer(record_id):
        try:
            with kernel.storage.bound("default"):
                for n in range(300):
                    with db.atomic():
                        service.update(record_id, {"city": f"city {n}"})
        except Exception as exc:  # noqa: BLE001 - the test reports any failure
            errors.append(repr(exc))
        finally:
            db.close()

    threads = [threading.Thread(target=writer, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with kernel.storage.bound("default"):
        assert [service.get(i).version for i in ids] == [301] * 4
