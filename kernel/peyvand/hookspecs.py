"""Every hook the kernel calls, in one place.

Plugins implement these with ``@hookimpl`` from :mod:`peyvand_sdk`. An implementation names
only the arguments it uses, so a spec can gain arguments later without breaking plugins.

Conventions:

* ``register_*`` hooks return a list; the kernel flattens the lists of every enabled plugin and
  sorts them by an explicit key, so results never depend on registration order.
* ``resolve_*`` hooks are ``firstresult``: the first non-``None`` answer wins.
* ``before_*`` hooks may veto by raising :class:`peyvand.errors.Veto` with a message for the user;
  ``after_*`` hooks react and must not fail the operation.

For a given tenant the kernel only calls the hooks of plugins *enabled* for that tenant.
"""

from __future__ import annotations

import pluggy

PROJECT = "peyvand"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# --------------------------------------------------------------------------------------------
# Lifecycle
# --------------------------------------------------------------------------------------------

@hookspec
def setup_plugin(settings):
    """Prepare the plugin once per process, right after it is loaded.

    Called for every *installed* plugin whatever its per-tenant state, before any request.
    Keep it cheap: heavy imports belong inside the hooks that need them.

    :param settings: the instance's :class:`peyvand.config.Settings`.
    :return: ignored.

    Raising here marks the plugin ``failed`` (name, version and traceback summary are shown by
    ``peyvand plugins list`` and ``GET /api/v1/plugins``); the rest of the product keeps working.
    With ``PEYVAND_STRICT_PLUGINS=1`` the error is re-raised instead.
    """


@hookspec
def tenant_enabled(tenant):
    """React to this plugin being enabled for ``tenant``.

    Only the implementation of the plugin being enabled is called, after its migrations have
    been applied and inside the tenant's database context, so it may create default rows
    (a default pipeline, built-in roles…). Enabling is idempotent: check before inserting.

    :param tenant: the tenant's name, e.g. ``"default"``.
    :return: ignored. Raising aborts the enable and leaves the plugin in its previous state.
    """


@hookspec
def tenant_disabled(tenant):
    """React to this plugin being disabled for ``tenant``.

    Only the implementation of the plugin being disabled is called. Data must be left intact:
    a disabled plugin can be enabled again and find everything as it was.

    :param tenant: the tenant's name.
    :return: ignored.
    """


# --------------------------------------------------------------------------------------------
# Registration: what a plugin contributes. Each returns a list; ``None`` means nothing.
# --------------------------------------------------------------------------------------------

@hookspec
def register_entities():
    """Declare the record types this plugin stores.

    :return: a list of :class:`peyvand_sdk.Entity` (a peewee model, a marshmallow schema and
        metadata: labels in Persian and English, title field, searchable and audited fields,
        default sort). Each model's table must start with ``<plugin>_``; two plugins claiming
        the same entity name or table is an error when the second is enabled.

    The kernel derives storage checks, the REST API under ``/api/v1/<plugin>/<plural>``, the
    OpenAPI description and the audit trail from these declarations.
    """


@hookspec
def register_models():
    """Declare the plugin's peewee models that are not entities (link tables, settings…).

    :return: a list of peewee model classes, tables prefixed ``<plugin>_``. Together with the
        entities' models these are the tables a purge drops and the schema check compares
        against the migrated database.
    """


@hookspec
def register_permissions():
    """Declare permission keys beyond the standard ones every entity gets.

    Each entity automatically has ``<plugin>.<entity>.<action>`` for read, create, update,
    delete, export, import and print, with default grants for the built-in roles (admin,
    manager, salesperson, accountant, support, readonly).

    :return: a list of :class:`peyvand_sdk.Permission` (``key`` starting with
        ``"<plugin>."``, e.g. ``"finance.invoice.approve"``, a bilingual ``label`` and
        ``defaults``: ``{role: scope}``). Default grants are given to the built-in roles when
        the plugin is enabled; admins change them afterwards.
    """


@hookspec
def register_blueprints():
    """Contribute Flask blueprints (REST endpoints, web pages).

    Called once per process for every loaded plugin, since Flask cannot add routes after the
    first request; the kernel answers 404 on a blueprint's routes for a tenant where its plugin
    is not enabled.

    :return: a list of :class:`flask.Blueprint`. Blueprint names must be unique across plugins;
        prefixing them with the plugin name (``"contacts_api"``) keeps them so.
    """


@hookspec
def register_menu_items():
    """Contribute entries to the web workspace's navigation.

    Called for the plugins enabled for a tenant, when its navigation is first built (and again
    after any plugin, role or grant change); a disabled plugin's items disappear with it.

    :return: a list of dicts, one per entry:

        * ``"id"``: unique, prefixed with the plugin's name (``"contacts.people"``);
        * ``"label"``: ``{"en": "People", "fa": "اشخاص"}`` (``"en"`` is required);
        * ``"url"``: a path on this site, usually a generic list page
          ``"/app/<plugin>/<plural>"`` or one of the plugin's own pages under ``/app/<plugin>/``;
        * ``"permission"``: the key a user needs to see the entry, ``"<plugin>.<entity>.<action>"``
          (``"contacts.person.read"``), or an entity id meaning its read right, or ``None`` for
          every logged-in user. An entry is shown only when the user's roles grant that key a
          scope other than ``none``;
        * ``"order"``: an integer, smaller first (default 100); ties are broken by ``id``.
    """


@hookspec
def register_form_parts():
    """Add a part of your own to the generic create or edit form of an entity.

    The generic form pages (``/app/<plugin>/<plural>/new`` and ``.../<id>/edit``) render each
    part after the form's fields, inside the ``<form>``: a warning panel that fills in while
    the user types (the contacts plugin's "likely duplicates"), a helper script, an extra
    hint. Called for the plugins enabled for a tenant when its form pages are first shown
    (and again after any plugin, role or grant change), so a disabled plugin's parts
    disappear with it.

    :return: a list of dicts, one per part:

        * ``"entity"``: the entity id whose forms get the part (``"contacts.person"``); any
          plugin may add to any entity's forms;
        * ``"template"``: a Jinja template of one of your blueprints (put it under a folder
          named after your plugin, ``"contacts/_duplicate_warning.html"``). It is rendered with
          the form page's context: ``view`` (the entity's pages), ``record`` (``None`` on the
          create form), ``fields`` and the usual ``_()``, ``csrf_token()`` and filters;
        * ``"forms"``: ``"create"``, ``"edit"`` or both (a list; default both);
        * ``"permission"``: a key ``"<plugin>.<entity>.<action>"`` the user needs to see the
          part, or ``None`` (default) for everyone who may see the form;
        * ``"order"``: an integer, smaller first (default 100); ties are broken by template.
    """


@hookspec
def register_bulk_actions():
    """Offer actions the generic list pages run on many records at once.

    A list page shows a checkbox per row and an action menu: the kernel's own actions (delete to
    the trash, change the owner) and those that enabled plugins return here for that entity
    ("add a tag", "move to a stage"…). The user ticks rows, or "all matching the filter" (up to
    1,000), confirms on a page of its own (where the action's ``params`` are asked for), and
    reads the outcome as "N done, M refused because …".

    :return: a list of dicts, one per action:

        * ``"id"``: unique, prefixed with the plugin's name (``"tags.add"``);
        * ``"label"``: ``{"en": "Add a tag", "fa": "افزودن برچسب"}`` (``"en"`` is required);
        * ``"entity"``: the entity id it applies to (``"contacts.person"``), or ``"*"`` for
          every entity;
        * ``"permission"``: an action of the entity (``"update"``, the default), checked on
          every record (a record outside the user's scope for it is refused, named in the
          report), or a full permission key (``"tags.tag.assign"``), checked once for the user;
        * ``"params"`` (optional): inputs asked for on the confirmation page, each
          ``{"name", "label": {"en", "fa"}, "type": "text" | "select", "choices": [value or
          (value, {"en", "fa"})], "required": bool}``; their values reach ``run`` as strings;
        * ``"run"``: a callable run once per record, inside the request's transaction and a
          savepoint of its own, with the user bound as the actor. It names the arguments it
          wants among ``entity`` (the entity id), ``record`` (the peewee model instance, read
          with the permission above), ``params`` (``{name: value}``) and ``actor``. It returns
          nothing; to refuse one record it raises :class:`peyvand_sdk.Veto` (or any
          :class:`peyvand_sdk.PeyvandError`) with a message for the user: that record's writes
          are rolled back and the others go on. Write through the SDK (``record_audit`` for the
          audit trail) so the change is recorded;
        * ``"order"``: an integer, smaller first (default 100).
    """


@hookspec
def register_record_tabs():
    """Contribute tabs to the generic record page (a person's timeline, a deal's products…).

    The record page shows its fields under a "Details" tab, then the tabs of the enabled
    plugins that apply to the entity and that the user may see, then "History". Only the chosen
    tab (``?tab=<id>``) is rendered, so a tab costs nothing until it is opened; the page works
    without JavaScript.

    :return: a list of dicts, one per tab:

        * ``"id"``: unique, prefixed with the plugin's name (``"contacts.timeline"``);
        * ``"label"``: ``{"en": "Timeline", "fa": "گاه‌شمار"}`` (``"en"`` is required);
        * ``"entity"``: the entity id it belongs to, or ``"*"`` for every entity;
        * ``"permission"`` (optional): a key ``"<plugin>.<entity>.<action>"``, or an entity id
          meaning its read right; the tab is shown only to users whose roles grant it. The
          record itself is always one the user may read;
        * ``"render"``: a callable returning the tab's HTML (a ``str``; escape what you insert,
          e.g. with ``markupsafe.escape``, or return a ``markupsafe.Markup``). It names the
          arguments it wants among ``entity`` (the entity id), ``record`` (the peewee model
          instance), ``row`` (the record as the page shows it, hidden fields left out) and
          ``lang`` (``"fa"`` or ``"en"``). Apply the viewer's scopes to anything else you show
          (``peyvand_sdk.restrict``, ``hidden_fields``). Instead of ``render``, a tab may give
          ``"url"``: a callable with the same arguments returning a path on this site; the tab
          is then a link to that page (a plugin's own full page);
        * ``"order"``: an integer, smaller first (default 100).

    A tab whose ``render`` raises shows a short error in its place (the rest of the page
    works); with ``PEYVAND_STRICT_PLUGINS=1`` the error is raised instead.
    """


@hookspec
def register_settings():
    """Declare settings an admin can change for each tenant (no restart, audited).

    :return: a list of :class:`peyvand_sdk.Setting` (``key`` starting with ``"<plugin>."``,
        ``type`` text/integer/decimal/boolean/choice, ``default``, bilingual ``label``,
        ``choices`` for a choice). Read a value with :func:`peyvand_sdk.get_setting`; admins
        change it with ``PUT /api/v1/settings/<key>`` or ``peyvand settings set KEY VALUE``.
    """


@hookspec
def register_tasks():
    """Offer background tasks: periodic jobs (reminders, trash purge, scheduled reports, ERP
    sync) and tasks other code enqueues.

    :return: a list of :class:`peyvand_sdk.Task` (``name`` starting with ``"<plugin>."``, an
        idempotent ``run(tenant, payload)`` callable, ``every`` seconds for periodic tasks,
        ``retries``). Tasks run in ``peyvand worker`` processes, only for tenants where the
        plugin is enabled.
    """


@hookspec
def register_openapi(tenant):
    """Describe the plugin's own REST routes in the OpenAPI document (``/api/v1/openapi.json``,
    browsed at ``/api/docs``).

    The kernel describes the generic record routes of every entity itself; the routes a plugin
    adds with :func:`register_blueprints` under ``/api/v1/<plugin>/`` (a timeline, a merge, a
    report…) are described here, by hand, so integrators find them. Called when the tenant's
    document is built (it is cached until a plugin, custom field or role changes), only for the
    plugins enabled for that tenant: a disabled plugin's paths leave the document with it.

    :param tenant: the tenant's name (to describe what depends on its data, e.g. an ``enum``).
    :return: a list of dicts, each with:

        * ``"paths"``: ``{path: path item}`` in OpenAPI 3.1 form: path parameters written
          ``{name}`` (``/api/v1/contacts/persons/{id}/timeline``), one operation per method
          (``get``, ``post``…) with ``operationId`` (unique; prefix it with the plugin's name),
          ``summary`` (English), ``x-label-fa`` (the Persian summary), ``parameters``,
          ``requestBody`` and ``responses`` with the status codes the route really answers.
          Every path must start with ``/api/v1/<plugin>/`` and must not be one the document
          already has (an entity's generic path, the kernel's, another plugin's): the kernel
          refuses either with a :class:`~peyvand.errors.PluginError` naming the plugin and the
          path. The kernel adds the plugin's tag to operations that name none, and the 401 and
          403 responses to every operation except those open to anyone (``"security": []``,
          for views marked :func:`peyvand_sdk.public`);
        * ``"schemas"`` (optional): ``{name: JSON Schema 2020-12}`` added to
          ``components.schemas``; names start with ``"<plugin>."`` and must be new. Refer to
          them as ``{"$ref": "#/components/schemas/<name>"}``, and to the kernel's components
          (``peyvand.error``, ``peyvand.validation_errors``, the responses ``NotFound``,
          ``Invalid``, ``PreconditionFailed``, the parameters ``RecordId``, ``IfMatch``) the
          same way. :func:`peyvand_sdk.json_schema` turns a marshmallow schema into one.

    The kernel copies what is returned, so module-level constants may be returned as they are.
    """


@hookspec
def register_cli_commands():
    """Contribute sub-commands to the ``peyvand`` command line.

    :return: a list of :class:`click.Command` or :class:`click.Group`. They are added under the
        plugin's name: a group ``contacts`` gives ``peyvand contacts import``. Commands appear for
        every loaded plugin; use :func:`peyvand_sdk.require_enabled` to refuse politely when the
        plugin is disabled for the chosen tenant.
    """


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------

@hookspec
def load_demo_data(tenant, plugins):
    """Fill a fresh tenant with realistic demo records for ``peyvand demo``.

    Called in dependency order (a plugin runs after the plugins it requires), inside the
    tenant's database context and one transaction.

    :param tenant: the tenant's name.
    :param plugins: names of the plugins enabled for the tenant, so a plugin can link its demo
        records to those of an optional partner.
    :return: a short line describing what was added (``"40 contacts"``), or ``None``.
    """


@hookspec
def search(query, limit):
    """Contribute hits to the global search (``GET /api/v1/search?q=...``).

    Called in the tenant's database context, with the acting user bound, for every plugin
    enabled for the tenant. Fold the query the way your index is folded (Persian/Arabic letters
    and digits) and restrict your SQL to records the user may read (``peyvand_sdk.restrict``).

    :param query: the text the user typed, stripped, never empty.
    :param limit: the most hits the caller will show; return at most this many.
    :return: a list of dicts ``{"entity": "<plugin>.<name>", "id": int, "title": str,
        "subtitle": str | None, "score": float}``; higher scores rank first. The kernel merges
        every plugin's hits, sorts them by score (then entity and id) and cuts to ``limit``.
        A hit may add ``"subtitle_field"``: the entity's field the subtitle is the value of
        (``"phone"``), so the search page shows it as the record page shows that field (a
        phone number left-to-right in Persian digits); without it, a subtitle with no
        right-to-left letters is shown left-to-right.
    """


@hookspec
def before_record_save(entity, record, changes, action):
    """Check a create or update before it is written; raise to refuse it.

    :param entity: the :class:`peyvand_sdk.Entity` being saved (``entity.id`` is
        ``"<plugin>.<name>"``).
    :param record: the peewee model instance with the new values set, not yet saved.
    :param changes: ``{field: (old, new)}`` for the fields this save changes.
    :param action: ``"create"`` or ``"update"``.
    :return: ignored. Raise :class:`peyvand_sdk.Veto` with a message (and optionally a field
        name) to refuse the save; the request answers 422 and nothing is written.
    """


@hookspec
def after_record_save(entity, record, changes, action):
    """React to a record written by the API, an import or a job.

    Runs inside the same transaction as the write, so work done here commits or rolls back
    with it. Keep it quick; slow side effects belong in background jobs.

    :param entity: the :class:`peyvand_sdk.Entity`.
    :param record: the saved peewee model instance.
    :param changes: ``{field: (old, new)}``; for ``"create"`` the old values are ``None``.
    :param action: ``"create"``, ``"update"``, ``"delete"`` or ``"restore"``.
    :return: ignored.
    """


# --------------------------------------------------------------------------------------------
# Identity
# --------------------------------------------------------------------------------------------

@hookspec(firstresult=True)
def send_password_reset(user, link):
    """Send ``user`` the link that lets them choose a new password (the e-mail plugin's job).

    Called when someone asks for a reset on the web workspace's "forgot password" page and the
    name or e-mail address they typed matches an active user, in the tenant's database context
    and outside any transaction. The link is absolute, works once and expires in one hour; do
    not log it. Sending can be slow: queue the mail as a background job rather than wait for
    the server here. The page answers the same whatever happens, so accounts cannot be
    enumerated through it.

    :param user: the :class:`peyvand.identity.User` (``name``, ``email``, ``language``,
        ``display_name``); it may have no e-mail address.
    :param link: the absolute URL of the "set a new password" page for this request.
    :return: ``True`` (any non-``None`` value) once the message is queued or sent; ``None`` to
        leave it to another plugin. While no enabled plugin implements this hook, the page
        tells users that an administrator must reset their password
        (``peyvand users reset-password NAME``).
    """
