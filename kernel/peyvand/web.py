"""The kernel's web pages (the start page until the full workspace UI lands) and the API docs."""

from flask import Blueprint, g, render_template, send_from_directory, url_for

blueprint = Blueprint("peyvand_web", __name__, template_folder="templates")


@blueprint.get("/")
def home():
    from .app import current_kernel

    kernel = current_kernel()
    plugins = [p for p in kernel.describe(g.tenant)]
    return render_template("peyvand/home.html", plugins=plugins, tenant=g.tenant)


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
