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

from .i18n import N_

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
        "background_unserved": _background_unserved,
        "trash_days": current_app.extensions["peyvand"].settings.trash_days,
    }


def _background_unserved() -> bool:
    """For templates: whether background jobs of this tenant wait with no worker serving them
    (:func:`peyvand.jobs.unserved`), so a page can say why its work does not start."""
    from .. import jobs

    try:
        return jobs.unserved(jobs.job_settings())
    except Exception:  # a page must not break over this hint
        return False


def _asset(name: str) -> str:
    from .. import __version__

    return url_for("static", filename=f"peyvand/{name}", v=__version__)


# -- error pages -------------------------------------------------------------------------------

#: Title and explanation of the error page of an HTTP status (others: the last entry).
ERRORS = {
    400: (N_("Bad request"), N_("This address or form has something the page cannot use. Go "
                                "back and try again.")),
    403: (N_("Not allowed"), N_("Your role does not allow this. An administrator can grant "
                                "it.")),
    404: (N_("Not found"), N_("There is no page at this address.")),
    405: (N_("Not possible this way"),
          N_("This address does not take this kind of request (a link opened where a form "
             "should be sent, or the other way round). Go back and try again.")),
    413: (N_("Too large"), N_("What you sent is larger than this server accepts.")),
    429: (N_("Too many requests"), N_("Wait a moment and try again.")),
    None: (N_("Something went wrong"),
           N_("The server could not answer this request. Go back and try again; if it "
              "happens again, tell your administrator.")),
}


def error_page(exc):
    """The workspace's page for an HTTP error ``exc`` (an unknown address, a wrong method…):
    in the user's language, within the workspace's frame when they are logged in."""
    from flask import g, make_response

    from . import session
    from .i18n import _

    if getattr(exc, "response", None) is not None:   # the view made its own answer
        return exc
    try:
        if "web_user" not in g:   # an earlier check (the tenant's binding) stopped the request
            session.identify()
        title, message = ERRORS.get(exc.code) or ERRORS[None]
        response = make_response(render_template(
            "peyvand/error.html", code=exc.code, title=_(title), message=_(message)), exc.code)
    except Exception:  # the page itself cannot be drawn (the database is down): the bare one
        return exc
    if exc.code == 405 and getattr(exc, "valid_methods", None):
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response


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
