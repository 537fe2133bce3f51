"""A plugin's page marked ``@public`` (a lead form other sites post to) needs no login and no
CSRF token; every other POST outside the API still needs the token."""

from flask import Blueprint
from web_kit import web_client

from peyvand_sdk import Manifest, hookimpl, public


class Pages:
    manifest = Manifest(label={"en": "Pages"})

    @hookimpl
    def register_blueprints(self):
        bp = Blueprint("pages_web", __name__)

        @bp.route("/p/open", methods=["GET", "POST"])
        @public
        def open_form():
            from peyvand_sdk import current_actor

            actor = current_actor()
            return f"open as {actor.name if actor else 'nobody'}"

        @bp.route("/p/closed", methods=["POST"])
        def closed_form():
            return "closed"

        return [bp]


def test_public_pages_take_posts_without_a_csrf_token(peyvand_app_factory):
    app = peyvand_app_factory(plugins=[], extra_plugins=[("pages", Pages(), "1.0")])
    anonymous = app.test_client()
    answer = anonymous.post("/p/open", data={"x": "1"}, headers={"Authorization": ""})
    assert answer.status_code == 200 and answer.get_data(as_text=True) == "open as nobody"
    refused = anonymous.post("/p/closed", data={"x": "1"}, headers={"Authorization": ""})
    assert refused.status_code == 400           # the CSRF check still guards other pages
    logged_in = web_client(app, "maryam")
    assert logged_in.post("/p/open", data={}).status_code == 200
    assert logged_in.post("/p/closed", data={}).status_code == 400
