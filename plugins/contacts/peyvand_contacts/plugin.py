"""The contacts plugin: manifest and hook implementations only; heavy imports stay inside hooks."""

from peyvand_sdk import Manifest, hookimpl

manifest = Manifest(
    label={"en": "Contacts", "fa": "مخاطبین"},
    description={
        "en": "People and organisations, with Iranian identifiers and de-duplicating import.",
        "fa": "اشخاص و سازمان‌ها، با شناسه‌های ایرانی و درون‌ریزی بدون رکورد تکراری.",
    },
    provides=("contacts.directory",),
)


@hookimpl
def register_entities():
    from .entities import ORGANIZATION, PERSON

    return [PERSON, ORGANIZATION]


@hookimpl
def load_demo_data(tenant):
    from .demo import load

    return load()


@hookimpl
def before_record_save(entity, record, changes):
    if entity.plugin == "contacts":
        from .cleaning import clean

        clean(entity.id, record, changes)
