"""The web workspace: server-rendered pages (Flask + Jinja) with little JavaScript.

* :mod:`.session` — log in and out, the signed session cookie, CSRF, the acting user;
* :mod:`.i18n` — Persian (RTL, Persian digits) and English, Jalali and Gregorian dates, amounts;
* :mod:`.menu` — navigation from the plugins' ``register_menu_items`` hook;
* :mod:`.forms` — forms and value display generated from entity schemas;
* :mod:`.pages` — generic list, record, form, export and print pages for any entity;
* :mod:`.account` — the start page, global search, profile, login and first-admin setup;
* :mod:`.admin` — admin pages: plugins, users and teams, roles, custom fields, audit trail.

Every asset comes from this package (no CDN): the workspace works offline on an intranet.
``/api/docs`` (Swagger UI from the ``flask-swagger-ui`` wheel) lives here too.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, render_template, send_from_directory, url_for

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

blueprint = Blueprint("peyvand_web", __name__, template_folder=str(TEMPLATES))


def init_app(app) -> None:
    """Wire the workspace into ``app``: call after the app's tenant binding is registered, so
    the session's user is loaded inside the tenant's database context."""
    from . import i18n, session

    kernel = app.extensions["peyvand"]
    session.configure(app)
    for name in kernel.order:
        record = kernel.records[name]
        module_file = getattr(record.module, "__file__", None)
        if record.loaded and not record.internal and module_file:
            i18n.register_translations(Path(module_file).resolve().parent / "translations")
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)
    app.jinja_env.filters.update(
        digits=i18n.digits, number=i18n.number, amount=i18n.amount, date=i18n.date_text,
        datetime=i18n.datetime_text, long_date=i18n.long_date,
        error_message=i18n.translate_error)
    app.before_request(session.before_request)
    app.context_processor(_template_context)


def _template_context():
    from flask import current_app, g

    from . import forms, i18n, menu, session

    def navigation():
        user = getattr(g, "web_user", None)
        if user is None:
            return []
        kernel = current_app.extensions["peyvand"]
        return menu.navigation(kernel, g.tenant, user.actor)

    return {
        "lang": i18n.current_language(),
        "dir": i18n.direction(),
        # "old → new" reads backwards in a right-to-left language: there it is "old ← new"
        "change_arrow": "←" if i18n.direction() == "rtl" else "→",
        "calendar": i18n.current_calendar(),
        "web_user": getattr(g, "web_user", None),
        "csrf_token": session.csrf_token,
        "navigation": navigation,
        "label": i18n.label,
        "asset": _asset,
        "choice_label": forms.choice_label,
        "today_iso": i18n.today_iso,
    }


def _asset(name: str) -> str:
    from .. import __version__

    return url_for("static", filename=f"peyvand/{name}", v=__version__)


# -- API docs (served from an installed package, no CDN) ---------------------------------------

def swagger_ui_dir() -> str:
    """The folder of Swagger UI's built files, as the ``flask-swagger-ui`` distribution ships
    them (Swagger UI 5, which renders OpenAPI 3.1). Only its static files are used."""
    from importlib.resources import files

    return str(files("flask_swagger_ui") / "dist")


@blueprint.get("/api/docs")
def api_docs():
    """Swagger UI over ``/api/v1/openapi.json``, every asset served by this app (no CDN)."""
    return render_template("peyvand/api_docs.html",
                           spec_url=url_for("peyvand_api.openapi_document"))


@blueprint.get("/api/docs/assets/<path:filename>")
def api_docs_asset(filename):
    return send_from_directory(swagger_ui_dir(), filename, max_age=3600)


# Route modules register on the blueprint above.
from . import account, admin, bulk, pages, saved_views, trash_pages  # noqa: E402,F401,I001
