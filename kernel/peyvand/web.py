"""The kernel's web pages (the start page until the full workspace UI lands)."""

from flask import Blueprint, g, render_template

blueprint = Blueprint("peyvand_web", __name__, template_folder="templates")


@blueprint.get("/")
def home():
    from .app import current_kernel

    kernel = current_kernel()
    plugins = [p for p in kernel.describe(g.tenant)]
    return render_template("peyvand/home.html", plugins=plugins, tenant=g.tenant)
