"""The sales plugin: manifest and hook implementations only; heavy imports stay inside hooks."""

from peyvand_sdk import Manifest, hookimpl

manifest = Manifest(
    label={"en": "Sales", "fa": "فروش"},
    description={"en": "Leads, pipelines and deals, activities and reminders, forecasting.",
                 "fa": "سرنخ‌ها، قیف‌های فروش و معاملات، فعالیت‌ها و یادآورها، پیش‌بینی فروش."},
    requires={"contacts": ">=0.1"},
    hookspecs="peyvand_sales.hookspecs",
)


@hookimpl
def register_entities():
    from .entities import ACTIVITY, DEAL, LEAD, PIPELINE

    return [PIPELINE, DEAL, LEAD, ACTIVITY]


@hookimpl
def register_models():
    from .models import (
        AssignmentRule,
        CalendarFeed,
        DealStage,
        FormHit,
        LeadForm,
        Option,
        ScoreRule,
        Setting,
        Target,
    )

    return [DealStage, Option, Setting, ScoreRule, CalendarFeed, Target, AssignmentRule,
            LeadForm, FormHit]


@hookimpl
def register_permissions():
    from .access import PERMISSIONS

    return PERMISSIONS


@hookimpl
def register_blueprints():
    from . import pages, public
    from .api import blueprint

    return [blueprint(), public.blueprint(), pages.blueprint()]


@hookimpl
def register_openapi():
    from .openapi import describe

    return describe()


@hookimpl
def register_record_tabs():
    from .pages.tabs import record_tabs

    return record_tabs()


@hookimpl
def register_menu_items():
    from .pages import menu_items

    return menu_items()


@hookimpl
def register_tasks():
    from .reminders import TASKS

    return TASKS


@hookimpl
def tenant_enabled():
    from .options import ensure_defaults
    from .pipelines import ensure_default_pipeline

    ensure_default_pipeline()
    ensure_defaults()


@hookimpl
def before_record_save(entity, record, changes, action):
    if entity.plugin == "sales":
        from .rules import before_save

        before_save(entity, record, changes, action)


@hookimpl
def after_record_save(entity, record, changes, action):
    if entity.plugin == "sales":
        from .rules import after_save

        after_save(entity, record, changes, action)


@hookimpl
def load_demo_data():
    from .demo import load

    return load()


@hookimpl
def register_events():
    from .events import EVENT_TYPES

    return list(EVENT_TYPES)


# -- hooks the contacts plugin publishes (peyvand_contacts.hookspecs) ----------------------------

@hookimpl(optionalhook=True)
def contact_timeline(entity, record_id, before, limit):
    from .contact_links import timeline

    return timeline(entity, record_id, before, limit)


@hookimpl(optionalhook=True)
def contacts_merged(entity, survivor_id, merged_ids):
    from .contact_links import merged

    return merged(entity, survivor_id, merged_ids)


@hookimpl
def register_settings():
    from .ratelimit import settings

    return settings()


# -- for a reports plugin (the contract is in docs/plugin-guide.md; no spec is needed here) -----

@hookimpl(optionalhook=True)
def register_reports():
    from .reports import definitions

    return definitions()
