"""The contacts plugin: manifest and hook implementations only; heavy imports stay inside hooks."""

from peyvand_sdk import Manifest, hookimpl

manifest = Manifest(
    label={"en": "Contacts", "fa": "مخاطبین"},
    description={
        "en": "People and organisations, with Iranian identifiers and de-duplicating import.",
        "fa": "اشخاص و سازمان‌ها، با شناسه‌های ایرانی و درون‌ریزی بدون رکورد تکراری.",
    },
    provides=("contacts.directory",),
    hookspecs="peyvand_contacts.hookspecs",
)


@hookimpl
def register_entities():
    from .entities import ORGANIZATION, PERSON
    from .notes import NOTE

    return [PERSON, ORGANIZATION, NOTE]


@hookimpl
def load_demo_data(tenant):
    from peyvand_sdk import tenant_db

    from .demo import load
    from .namekeys import fill_missing
    from .search import reindex

    summary = load()
    reindex(tenant_db)  # the demo writes its rows directly, without search text
    fill_missing(tenant_db)  # ... and without name keys
    return summary


@hookimpl
def before_record_save(entity, record, changes):
    if entity.plugin == "contacts":
        from .cleaning import clean

        clean(entity.id, record, changes)
        if entity.id == "contacts.note":
            from .notes import check

            check(record, changes)


@hookimpl
def after_record_save(entity, record, changes, action):
    if entity.id == "contacts.organization" and action == "update" and "name" in changes:
        from .search import refresh_people_of

        refresh_people_of(record.id, record.name)


@hookimpl
def search(query, limit):
    from .search import search as search_contacts

    return search_contacts(query, limit)


@hookimpl
def register_models():
    from .dedupe_models import DuplicateDismissal, Merge, MergeChange
    from .importing.jobs import ImportJob
    from .models import (
        Detail,
        ImportBatch,
        ImportItem,
        OrganizationSearchIndex,
        PersonSearchIndex,
    )

    return [ImportBatch, ImportItem, PersonSearchIndex, OrganizationSearchIndex,
            DuplicateDismissal, Merge, MergeChange, ImportJob, Detail]


@hookimpl
def register_cli_commands():
    from .cli_dedupe import add_commands
    from .importing.cli import commands

    return [add_commands(commands())]


@hookimpl
def register_menu_items():
    from .views import menu_items

    return menu_items()


@hookimpl
def register_blueprints():
    from .duplicates import blueprint
    from .pages import blueprint as pages

    return [blueprint(), pages()]


@hookimpl
def register_openapi():
    from .openapi import describe

    return describe()


@hookimpl
def contact_timeline(entity, record_id, before, limit):
    from .timeline import contribute

    return contribute(entity, record_id, before, limit)


@hookimpl
def register_record_tabs():
    from .pages.record import record_tabs

    return record_tabs()


@hookimpl
def register_form_parts():
    from .views import form_parts

    return form_parts()


@hookimpl
def register_tasks():
    from .importing.jobs import tasks

    return tasks()


@hookimpl
def register_settings():
    from .duplicates import settings

    return settings()
