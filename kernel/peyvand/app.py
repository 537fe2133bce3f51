"""The Flask application factory.

Every loaded plugin's blueprints are registered at start (Flask cannot add routes later); each
request is bound to its tenant, and a route of a plugin that is not enabled for that tenant
answers 404 as if it did not exist.
"""

from __future__ import annotations

from flask import Flask, g, jsonify, request
from werkzeug.exceptions import HTTPException, NotFound

from .errors import PeyvandError
from .kernel import DEFAULT_TENANT, Kernel
from .plugins import summarize_exception


def create_app(config: dict | None = None, *, kernel: Kernel | None = None) -> Flask:
    """Build the WSGI app. ``config`` updates ``app.config``; ``kernel`` defaults to a new one."""
    kernel = kernel or Kernel()
    app = Flask("peyvand")
    app.config.update(PEYVAND_TENANT=DEFAULT_TENANT, MAX_CONTENT_LENGTH=64 * 1024 * 1024)
    app.config.update(config or {})
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    app.extensions["peyvand"] = kernel
    kernel.ensure_tenant(app.config["PEYVAND_TENANT"])

    from . import web
    from .api import blueprint as api_blueprint
    from .web import blueprint as web_blueprint

    app.register_blueprint(api_blueprint)
    app.register_blueprint(web_blueprint)

    owners: dict[str, str] = {}
    for name in kernel.order:
        record = kernel.records[name]
        if not record.loaded or "register_blueprints" not in record.hooks:
            continue
        try:
            blueprints = kernel.call_plugin(name, "register_blueprints") or []
            for bp in blueprints:
                app.register_blueprint(bp)
                owners[bp.name] = name
        except Exception as exc:
            if kernel.settings.strict_plugins:
                raise
            record.error = summarize_exception(exc)
    app.extensions["peyvand.blueprint_owners"] = owners

    @app.before_request
    def bind_tenant():
        tenant = app.config["PEYVAND_TENANT"]
        g.tenant = tenant
        g._peyvand_binding = kernel.storage.bound(tenant)
        g._peyvand_binding.__enter__()
        kernel.refresh()
        blueprint = (request.blueprint or "").split(".")[0]
        owner = owners.get(blueprint)
        if owner is not None and owner not in kernel.enabled(tenant):
            if request.path.startswith("/api/"):
                raise NotFound()
            g._peyvand_hidden = True  # a page: 404 once the user is known (refuse_hidden)

    from .api import authenticate

    app.before_request(authenticate)

    @app.teardown_request
    def unbind_tenant(exc):
        from .access import unbind

        actor_token = g.pop("_peyvand_actor", None)
        if actor_token is not None:
            unbind(actor_token)
        binding = g.pop("_peyvand_binding", None)
        if binding is not None:
            binding.__exit__(None, None, None)

    web.init_app(app)  # the workspace: sessions, languages, CSRF (after the tenant binding)

    @app.before_request
    def refuse_hidden():
        # After the workspace knows the user: the 404 page is in their language and frame.
        if g.pop("_peyvand_hidden", False):
            raise NotFound()

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if request.path.startswith("/api/") and not request.path.startswith("/api/docs"):
            return jsonify({"error": exc.name, "message": exc.description}), exc.code
        return web.error_page(exc)  # the workspace's page, in the user's language

    @app.errorhandler(PeyvandError)
    def peyvand_error(exc: PeyvandError):
        return jsonify({"error": type(exc).__name__, "message": str(exc)}), 400

    return app


def current_kernel() -> Kernel:
    from flask import current_app

    return current_app.extensions["peyvand"]
