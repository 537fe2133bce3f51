"""The sales plugin: manifest and hook implementations only."""

from peyvand_sdk import Manifest, hookimpl

manifest = Manifest(
    label={"en": "Sales", "fa": "فروش"},
    description={"en": "Pipelines and deals.", "fa": "قیف‌های فروش و معاملات."},
    requires={"contacts": ">=0.1"},
    hookspecs="peyvand_sales.hookspecs",
)


@hookimpl
def register_entities():
    from .entities import DEAL, PIPELINE

    return [PIPELINE, DEAL]


@hookimpl
def tenant_enabled():
    from .pipelines import ensure_default_pipeline

    ensure_default_pipeline()


@hookimpl
def load_demo_data():
    from .demo import load

    return load()
