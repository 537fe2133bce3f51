"""Generic pages for any entity an enabled plugin declares.

``/app/<plugin>/<plural>``                   list: search, sort by column, keyset pages, dates
``/app/<plugin>/<plural>/new``               form generated from the schema
``/app/<plugin>/<plural>/<id>``              record: fields, linked records, history
``/app/<plugin>/<plural>/<id>/edit``         form, with optimistic locking on the version
``/app/<plugin>/<plural>/<id>/delete``       confirmation, then to the trash
``/app/<plugin>/<plural>/trash``              the trash, with restore (:mod:`.trash_pages`)
``/app/<plugin>/<plural>/export``            CSV/XLSX of the filtered list (export right)
``?print=1`` on a list or a record           a clean print view (print right; audited)

Every read and write goes through :meth:`peyvand.kernel.Kernel.service` with the user bound as
the actor, so scopes, hidden and read-only fields apply exactly as in the API. A plugin may
replace any of these pages with its own route on a more specific path.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass

from flask import (
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from markupsafe import Markup

from .. import audit
from ..access import current_actor
from ..permissions import Forbidden, allows_record, scope_of
from ..records import InvalidRecord, RecordNotFound, StaleVersion
from . import blueprint, forms, i18n, tagging
from .forms import FieldMeta, FormField
from .i18n import _

PAGE_SIZE = 50
MAX_COLUMNS = 5
SEARCH_LIMIT = 200
PRINT_LIMIT = 1000
RELATED_LIMIT = 10
RESERVED = frozenset({"q", "sort", "cursor", "before", "print", "from", "to", "format",
                      "start", "view", "columns"})
MAX_SELECTED_COLUMNS = 12
#: Options a filter menu lists at most (owners, teams, tags); more are typed in the URL.
FILTER_OPTIONS = 200
#: ``<link field>__q=text``: records whose linked record the search finds for ``text``.
LINK_SEARCH = "__q"


@dataclass
class EntityView:
    """What the pages need to know about one entity, built once per generation."""

    entity: object
    service: object
    metas: list[FieldMeta]
    by_name: dict[str, FieldMeta]
    columns: list[str]

    @property
    def id(self) -> str:
        return self.entity.id

    def label(self, plural: bool = False) -> str:
        if plural and self.entity.label_plural:
            return i18n.label(self.entity.label_plural, self.entity.plural)
        return i18n.label(self.entity.label, self.entity.name)

    def url(self, endpoint: str = "list_page", **kw) -> str:
        return url_for(f"peyvand_web.{endpoint}", plugin=self.entity.plugin,
                       plural=self.entity.plural, **kw)


def _kernel():
    return current_app.extensions["peyvand"]


def _write(fn):
    with _kernel().storage.database_for(g.tenant).atomic():
        return fn()


def _columns(entity, metas: list[FieldMeta]) -> list[str]:
    """List columns: the title and searchable fields first, then others, in schema order."""
    names = [m.name for m in metas
             if m.kind not in ("textarea", "checkboxes", "related", "json") and not m.custom]
    preferred = [n for n in names if n == entity.title_field or n in entity.searchable]
    chosen = set((preferred + [n for n in names if n not in preferred])[:MAX_COLUMNS])
    return [n for n in names if n in chosen]


def entity_view(entity_id: str) -> EntityView | None:
    kernel = _kernel()
    entities = kernel.entities(g.tenant)
    entity = entities.get(entity_id)
    if entity is None:
        return None

    def build():
        service = kernel.service(entity_id, g.tenant)
        metas = forms.field_meta(entity, service, entities)
        return EntityView(entity, service, metas, {m.name: m for m in metas},
                          _columns(entity, metas))

    return kernel.cache(f"web-view:{g.tenant}:{entity_id}", build)


def _view(plugin: str, plural: str) -> EntityView:
    for entity_id, entity in _kernel().entities(g.tenant).items():
        if entity.plugin == plugin and entity.plural == plural:
            return entity_view(entity_id)
    abort(404)


def _require(entity_id: str, action: str) -> None:
    actor = current_actor()
    if actor is None or scope_of(actor, entity_id, action) == "none":
        raise Forbidden(action)


def can(entity_id: str, action: str, record=None) -> bool:
    actor = current_actor()
    if actor is None or scope_of(actor, entity_id, action) == "none":
        return False
    return record is None or allows_record(actor, entity_id, action, record)


def record_title(view: EntityView, row: dict) -> str:
    """How a record is named: its title field (a person's first name joins a last name)."""
    entity = view.entity
    title = row.get(entity.title_field)
    if entity.title_field == "last_name" and row.get("first_name"):
        title = f"{row['first_name']} {title or ''}".strip()
    if title in (None, ""):
        return f"{view.label()} #{i18n.digits(row.get('id'))}"
    return str(title)


def _titles(entity_id: str, ids) -> dict:
    """``{id: title}`` of ``entity_id`` records the user may read."""
    view = entity_view(entity_id)
    ids = sorted({int(i) for i in ids if i})
    if view is None or not ids or not can(entity_id, "read"):
        return {}
    fields = [view.entity.title_field]
    if view.entity.title_field == "last_name" and "first_name" in view.by_name:
        fields.append("first_name")
    try:
        page = view.service.list(filters={"id__in": ",".join(map(str, ids))}, fields=fields,
                                 limit=len(ids))
    except (Forbidden, InvalidRecord):
        return {}
    return {row["id"]: record_title(view, row) for row in page.rows}


def _linker(entity_id: str):
    view = entity_view(entity_id)
    if view is None:
        return None
    return lambda record_id: view.url("record_page", record_id=record_id)


# -- list --------------------------------------------------------------------------------------

def _list_query(view: EntityView, args=None) -> tuple[dict, dict, list[str]]:
    """``(filters, state, problems)`` from the query string (search, dates, field filters)."""
    args = request.args if args is None else args
    filters = {k: v for k, v in args.items() if k not in RESERVED and v != ""}
    tags = [t for t in args.getlist("tag") if t != ""] if hasattr(args, "getlist") else []
    if tags:
        filters["tag"] = tags                        # ?tag=A&tag=B: records with all of them
    actor = current_actor()
    if filters.get("owner_id") == "me" and actor is not None:
        filters["owner_id"] = str(actor.id)          # a saved view's "me" is each viewer
    for key in [k for k in filters if k.endswith(LINK_SEARCH)]:
        # "organization_id__q=Acme": the linked records the search finds (as /search does).
        meta = view.by_name.get(key[:-len(LINK_SEARCH)])
        if meta is None or meta.kind != "link":
            continue
        from .search import search

        hits = search(_kernel(), g.tenant, filters.pop(key), SEARCH_LIMIT,
                      entity_id=meta.link_entity)
        filters[f"{meta.name}__in"] = ",".join(str(h["id"]) for h in hits) or "0"
    problems = []
    for key in [k for k in filters if k.endswith(("__gte", "__lte"))]:
        # Ranges as typed in the filter boxes: Persian digits and separators for numbers, a
        # date in the user's calendar (a whole day: "to" takes in the day it names).
        meta = view.by_name.get(key.rsplit("__", 1)[0])
        raw = str(filters[key]).strip()
        if meta is None:
            continue
        if meta.kind in ("integer", "decimal"):
            filters[key] = forms._clean_number(raw, decimal_point=meta.kind == "decimal")
        elif meta.kind in ("date", "datetime"):
            try:
                day = i18n.parse_date(raw)
            except i18n.DateInputError:
                problems.append(_("%(field)s: enter a date like %(example)s.",
                                  field=meta.title(), example=i18n.date_example()))
                filters.pop(key)
                continue
            if meta.kind == "date":
                filters[key] = day.isoformat()
            else:
                if key.endswith("__lte"):
                    day += datetime.timedelta(days=1)
                    key_lt = key[:-5] + "__lt"
                    filters.pop(key)
                    filters[key_lt] = i18n.day_start_utc(day).isoformat(sep=" ")
                    continue
                filters[key] = i18n.day_start_utc(day).isoformat(sep=" ")
    state = {"q": (args.get("q") or "").strip(), "from": args.get("from", ""),
             "to": args.get("to", ""), "sort": args.get("sort") or view.entity.default_sort}
    for key, op in (("from", "gte"), ("to", "lt")):
        if not state[key].strip():
            continue
        try:
            day = i18n.parse_date(state[key])
        except i18n.DateInputError:
            problems.append(_("Enter a date like %(example)s.", example=i18n.date_example()))
            continue
        if op == "lt":
            day += datetime.timedelta(days=1)
        filters[f"created_at__{op}"] = i18n.day_start_utc(day).isoformat(sep=" ")
    return filters, state, problems


def _user_names(ids) -> dict[int, str]:
    from ..identity import User

    ids = sorted({int(i) for i in ids if str(i).isdigit()})
    if not ids:
        return {}
    return {uid: display or name for uid, name, display in User.select(
        User.id, User.name, User.display_name).where(User.id.in_(ids)).tuples()}


def _team_names(ids) -> dict[int, str]:
    from ..identity import Team

    ids = sorted({int(i) for i in ids if str(i).isdigit()})
    if not ids:
        return {}
    return dict(Team.select(Team.id, Team.name).where(Team.id.in_(ids)).tuples())


def _removal_link(key: str, value: str | None = None) -> str:
    """This list without the filter ``key`` (only its ``value``, for a key given several
    times: one of several tags), back on its first page."""
    from urllib.parse import urlencode

    pairs = [(k, v) for k, v in request.args.items(multi=True)
             if k not in ("cursor", "before")
             and not (k == key and (value is None or v == value))]
    if {k for k, _v in pairs} == {"view"}:
        pairs.append(("q", ""))     # a saved view's own query would come back with ?view=N
    here = request.script_root + request.path
    return f"{here}?{urlencode(pairs)}" if pairs else f"{here}?view="


def _filter_chips(view: EntityView, args=None) -> list[dict]:
    """The field filters of the URL, named for the user, each with a link that removes it:
    ``[{label, value, remove, colour?, text?}]``."""
    from ..records import FALSY, TRUTHY

    args = request.args if args is None else args
    chips = []
    multi = hasattr(args, "getlist")
    several = multi and len(args.getlist("tag")) > 1
    pairs = args.items(multi=True) if multi else args.items()
    for key, value in pairs:
        if key in RESERVED or value == "" or (key != "tag" and key in {c["key"] for c in chips}):
            continue
        name, _sep, op = key.partition("__")
        meta = view.by_name.get(name)
        shown, chip = value, {}
        if key == "tag":
            from ..tags import Tag, tag_key

            tag = Tag.get_or_none(Tag.key == tag_key(value))
            label = _("Tag")
            if tag is not None:
                chip = {"colour": tag.colour,
                        "text": tagging.text_colour(tag.colour)}
        else:
            label = meta.title() if meta else forms.system_label(name)
            if meta is not None and op in ("gte", "lte"):
                label = _("%(field)s from", field=label) if op == "gte" else \
                    _("%(field)s to", field=label)
        if name == "owner_id" and not op:
            shown = _("Me") if value == "me" else _user_names([value]).get(int(value)) \
                if value.isdigit() else value
        elif name == "team_id" and not op:
            shown = _team_names([value]).get(int(value)) if value.isdigit() else value
        elif meta is not None and meta.kind == "link" and not op:
            shown = _titles(meta.link_entity, [value]).get(int(value)) if value.isdigit() \
                else value
        elif meta is not None and meta.kind in ("select", "checkboxes") and op in ("", "in"):
            comma = "، " if i18n.current_language() == "fa" else ", "
            shown = comma.join(forms.choice_label(v) for v in value.split(",")) if op \
                else forms.choice_label(value)
        elif meta is not None and meta.kind == "checkbox" and not op:
            lowered = value.strip().lower()
            shown = _("Yes") if lowered in TRUTHY else _("No") if lowered in FALSY else value
        elif op == "contains" or key.endswith(LINK_SEARCH):
            shown = _("contains “%(text)s”", text=value)
        chips.append({"label": label, "value": shown or value, "key": key,
                      "remove": _removal_link(key, value if key == "tag" and several
                                              else None), **chip})
    return chips


def _owner_options(view: EntityView) -> tuple[list, bool]:
    """``([(value, label)], capped)``: "me" first, then the active users the viewer's read
    scope covers (everyone for scope all, the viewer's teams' members for team)."""
    from ..identity import Membership, User

    actor = current_actor()
    options = [("me", _("Me"))]
    scope = scope_of(actor, view.id, "read")
    if scope not in ("all", "team") or (scope == "team" and not actor.teams):
        return options, False
    query = User.select(User.id, User.name, User.display_name).where(
        User.is_active & (User.id != (actor.id or 0)))
    if scope == "team":
        query = query.where(User.id.in_(Membership.select(Membership.user).where(
            Membership.team.in_(sorted(actor.teams)))))
    rows = list(query.order_by(User.name).limit(FILTER_OPTIONS + 1).tuples())
    options += [(str(uid), display or name) for uid, name, display in rows[:FILTER_OPTIONS]]
    return options, len(rows) > FILTER_OPTIONS


def _team_options(view: EntityView) -> tuple[list, bool]:
    from ..identity import Team

    actor = current_actor()
    scope = scope_of(actor, view.id, "read")
    if scope not in ("all", "team"):
        return [], False
    if scope == "team":
        rows = list(Team.select(Team.id, Team.name).where(Team.id.in_(sorted(actor.teams) or [0]))
                    .order_by(Team.name).limit(FILTER_OPTIONS + 1).tuples())
    else:   # teams change only through the admin pages and the CLI, which move the generation
        rows = _kernel().cache(f"filter-teams:{g.tenant}:{FILTER_OPTIONS}", lambda: list(
            Team.select(Team.id, Team.name).order_by(Team.name).limit(FILTER_OPTIONS + 1)
            .tuples()))
    return [(str(tid), name) for tid, name in rows[:FILTER_OPTIONS]], len(rows) > FILTER_OPTIONS


def _tag_options() -> tuple[list, bool]:
    from ..tags import Tag

    # Tag changes move the generation (tags.py), which drops this.
    rows = _kernel().cache(f"filter-tags:{g.tenant}:{FILTER_OPTIONS}", lambda: list(
        Tag.select(Tag.name, Tag.colour).order_by(Tag.key).limit(FILTER_OPTIONS + 1).tuples()))
    return ([(name, name, colour, tagging.text_colour(colour))
             for name, colour in rows[:FILTER_OPTIONS]], len(rows) > FILTER_OPTIONS)


def _searchable(entity_id: str) -> bool:
    """Whether the search finds records of ``entity_id`` (a hook or searchable fields)."""
    from .search import _hooked_plugins

    entity = _kernel().entities(g.tenant).get(entity_id)
    return entity is not None and (bool(entity.searchable)
                                   or entity.plugin in _hooked_plugins(_kernel(), g.tenant))


def _options_html(options, current: str):
    """``<option>``s of a filter menu, "any" first. Built here rather than in the template: a
    menu of 200 owners or teams on the most visited page."""
    from markupsafe import Markup, escape

    parts = [f'<option value="">{escape(_("Any"))}</option>']
    for option in options:
        value = str(option[0])
        style = f' style="background:{escape(option[2])};color:{escape(option[3])}"' \
            if len(option) > 2 else ""
        parts.append(f'<option value="{escape(value)}"{" selected" if value == current else ""}'
                     f'{style}>{escape(option[1])}</option>')
    return Markup("".join(parts))


def _filter_controls(view: EntityView, hidden) -> tuple[list[dict], bool]:
    """``(controls, capped)``: the filter menus and boxes of the list, from the schema: the
    owner and team, tags, every choice, yes/no, linked-record (searched by name) and text
    field the user may see (fields the search box covers get none). A control is
    ``{key, label, value, placeholder, options: <option> markup | None}``;
    ``capped`` when a menu lists only its first ``FILTER_OPTIONS`` entries."""
    args = request.args
    controls, capped = [], False

    def add(key, label, options=None, placeholder="", kind="text"):
        value = args.get(key, "")
        controls.append({"key": key, "label": label, "value": value, "placeholder": placeholder,
                         "kind": kind,
                         "options": None if options is None else _options_html(options, value)})

    for name, options_of in (("owner_id", _owner_options), ("team_id", _team_options)):
        if name in hidden:
            continue
        options, more = options_of(view)
        if options:
            add(name, forms.system_label(name), options)
            capped |= more
    related = getattr(view.service, "related_by_field", {}) or {}
    if "tags" in related and "tags" not in hidden and "tag" not in view.by_name:
        options, more = _tag_options()
        if options:
            add("tag", _("Tag"), options)
            capped |= more
    searched = set(view.entity.searchable)
    yes_no = [("true", _("Yes")), ("false", _("No"))]
    for meta in view.metas:
        if meta.name in hidden:
            continue
        if meta.kind == "select" or (meta.kind == "checkboxes" and meta.custom
                                     and meta.choices):
            add(meta.name, meta.title(), [(c, forms.choice_label(c)) for c in meta.choices])
        elif meta.kind == "checkbox":
            add(meta.name, meta.title(), yes_no)
        elif meta.kind == "link" and can(meta.link_entity, "read") \
                and _searchable(meta.link_entity):
            add(meta.name + LINK_SEARCH, meta.title(), placeholder=_("Name…"))
        elif meta.kind in ("text", "email", "tel") and meta.name not in searched:
            add(meta.name + "__contains", meta.title(), placeholder=_("Contains…"))
        elif meta.kind in ("decimal", "date", "datetime") or (
                meta.kind == "integer" and not meta.name.endswith("_id")
                and not meta.link_entity_field):
            # A range: "at least" and "at most" (dates typed in the user's calendar).
            kind = "number" if meta.kind in ("integer", "decimal") else "date"
            example = i18n.date_example() if kind == "date" else ""
            add(meta.name + "__gte", _("%(field)s from", field=meta.title()), kind=kind,
                placeholder=example)
            add(meta.name + "__lte", _("%(field)s to", field=meta.title()), kind=kind,
                placeholder=example)
    return controls, capped


def _search_ids(view: EntityView, query: str) -> list[int]:
    from .search import search

    hits = search(_kernel(), g.tenant, query, SEARCH_LIMIT, entity_id=view.id)
    return [hit["id"] for hit in hits]


def _chosen_columns(view: EntityView, hidden) -> tuple[list[str], bool]:
    """``(columns, chosen)``: the ``columns`` the URL asks for (known, not hidden), or the
    entity's default columns."""
    wanted = [c for value in request.args.getlist("columns") for c in value.split(",")]
    picked = [c for c in dict.fromkeys(wanted) if c in view.by_name and c not in hidden]
    if picked:
        return picked[:MAX_SELECTED_COLUMNS], True
    return [c for c in view.columns if c not in hidden], False


def _views_redirect(view: EntityView, default):
    """Open the user's default view, or the view the view menu chose; ``None`` otherwise."""
    from . import saved_views

    args = request.args
    if not args:
        return redirect(view.url(**default.args, view=default.id)) if default else None
    if set(args) == {"view"} and args["view"].isdigit():
        chosen = saved_views.find(view.id, args["view"])
        if chosen is None:
            flash(_("This view does not exist or is not shared with you."), "error")
            return redirect(view.url(view=""))
        return redirect(view.url(**chosen.args, view=chosen.id))
    empty = [k for k in args if k != "view" and not any(args.getlist(k))]
    if len(args.getlist("columns")) > 1 or empty:
        # Checkboxes: one comma-separated value in links; the filter form's unused menus and
        # boxes: left out, so links and saved views carry only what filters.
        from urllib.parse import urlencode

        pairs = [(k, v) for k, v in args.items(multi=True)
                 if k != "columns" and (v != "" or k == "view")]
        if args.getlist("columns"):
            pairs.append(("columns", ",".join(args.getlist("columns"))))
        if [k for k, _v in pairs] == ["view"] and args["view"]:
            return None     # every filter of a saved view taken off: not the view's query again
        return redirect(f"{view.url()}?{urlencode(pairs)}" if pairs else view.url(view=""))
    return None


def _views_state(view: EntityView, views, default) -> dict:
    from . import saved_views

    wanted = request.args.get("view", "")
    current = next((v for v in views if str(v.id) == wanted), None)
    return {"views": views, "current_view": current,
            "view_changed": current is not None
            and saved_views.stored_args(request.args) != current.args,
            "default_view": default,
            "can_manage_view": current is not None and saved_views.can_manage(current),
            "visibilities": saved_views.VISIBILITIES
            if g.web_user.is_admin else saved_views.VISIBILITIES[:2],
            "visibility_labels": saved_views.VISIBILITY_LABELS}


@blueprint.get("/app/<plugin>/<plural>")
def list_page(plugin, plural):
    view = _view(plugin, plural)
    printing = request.args.get("print") == "1"
    action = "print" if printing else "read"
    _require(view.id, action)
    views, default_view = [], None
    if not printing:
        from . import saved_views

        views, default_view = saved_views.visible(view.id)
        jump = _views_redirect(view, default_view)
        if jump is not None:
            return jump
    hidden = view.service.field_rules()[0]
    columns, chosen_columns = _chosen_columns(view, hidden)
    filters, state, problems = _list_query(view)
    for problem in problems:
        flash(problem, "error")
    ids = None
    if state["q"]:
        ids = _search_ids(view, state["q"])
        filters["id__in"] = ",".join(map(str, ids))
    wanted = [*columns, "created_at"]
    if "currency" in view.by_name and "currency" not in hidden:
        wanted.append("currency")
    for c in columns:   # fields a column's value labels need (a deal stage's pipeline)
        wanted += [u for u in view.by_name[c].label_uses
                   if u in view.by_name and u not in hidden and u not in wanted]
    rows, next_cursor, prev_cursor = [], None, None
    if ids != []:
        try:
            page = view.service.list(
                filters=filters, sort=state["sort"], cursor=request.args.get("cursor"),
                before=None if printing else request.args.get("before"),
                limit=PRINT_LIMIT if printing else PAGE_SIZE, fields=wanted, action=action)
            rows, next_cursor, prev_cursor = page.rows, page.next_cursor, page.prev_cursor
        except InvalidRecord as exc:
            messages = forms.translated_errors(exc.errors)
            flash(_("This list cannot be shown with these filters: %(problem)s",
                    problem=" ".join(m for ms in messages.values() for m in ms)), "error")
            return redirect(view.url(view=""))
    titles = {c: _titles(view.by_name[c].link_entity, [r.get(c) for r in rows])
              for c in columns if view.by_name[c].kind == "link"}
    links = {c: _linker(view.by_name[c].link_entity)
             for c in columns if view.by_name[c].kind == "link"}
    if printing:
        actor = current_actor()
        audit.record(view.id, 0, "print",
                     {"filter": (None, json.dumps({**filters, "q": state["q"]},
                                                  ensure_ascii=False, sort_keys=True)),
                      "rows": (None, len(rows))},
                     via="web", user_id=actor.id, user_name=actor.name)
    any_filter = bool(state["q"] or filters)
    # Cells are rendered here, once per value, rather than through template calls: this page
    # is the one people open most, and it must stay fast at a million records.
    labels = {c: forms.value_labels(view.by_name[c], rows) for c in columns}
    none = [None] * len(rows)
    cols = [(c, view.by_name[c], titles.get(c), links.get(c), labels[c] or none)
            for c in columns]
    # The first cell links to the record; when it is empty (a person without a first name)
    # the title's cell (the last name) does, if the list shows it.
    title_at = columns.index(view.entity.title_field) \
        if view.entity.title_field in columns else None
    table = []
    for i, row in enumerate(rows):
        cells = [forms.display(meta, c, row.get(c), row, t, link, "cell", shown[i])
                 for c, meta, t, link, shown in cols]
        link_at = title_at if cells and cells[0] == forms.DASH and title_at is not None \
            and cells[title_at] != forms.DASH else 0
        table.append((row["id"], cells, forms.date_cell(row.get("created_at")), link_at))
    extra = {}
    if not printing:
        from . import bulk

        extra = {**_views_state(view, views, default_view), "bulk_actions": bulk.actions(view),
                 "bulk_limit": bulk.BULK_LIMIT, "query_string": _query_string(),
                 "column_choices": [(m.name, m.title()) for m in view.metas
                                    if m.name not in hidden],
                 "chosen_columns": chosen_columns}
        extra["filter_controls"], extra["filters_capped"] = _filter_controls(view, hidden)
        extra["filter_limit"] = FILTER_OPTIONS
    return render_template(
        "peyvand/list.html", view=view, rows=rows, table=table, base_url=view.url(),
        columns=columns, **extra,
        state=state, next_cursor=next_cursor, prev_cursor=prev_cursor,
        paged=bool(request.args.get("cursor") or request.args.get("before")),
        printing=printing, chips=[] if printing else _filter_chips(view),
        any_filter=any_filter, search_capped=ids is not None and len(ids) >= SEARCH_LIMIT,
        can_create=can(view.id, "create"), can_export=can(view.id, "export"),
        can_delete=can(view.id, "delete"),
        can_print=can(view.id, "print"), dash=forms.DASH,
        sort_link=lambda column: _sort_link(view, state, column),
        page_link=lambda cursor=None, before=None: _page_link(cursor, before=before),
        print_link=_page_link(None, print="1"),
        export_links={fmt: _export_link(view, fmt) for fmt in ("csv", "xlsx")},
        date_example=i18n.date_example())


def _query_string() -> str:
    """This list's query without its page, for forms that come back to it."""
    from urllib.parse import urlencode

    return urlencode([(k, v) for k, v in request.args.items(multi=True)
                      if k not in ("cursor", "before")])


def _sort_link(view: EntityView, state: dict, column: str) -> tuple[str, str | None]:
    """``(url, current direction or None)`` of a column header."""
    current = state["sort"]
    direction = "asc" if current == column else "desc" if current == f"-{column}" else None
    target = f"-{column}" if direction == "asc" else column
    args = {k: v for k, v in request.args.items() if k not in ("cursor", "before", "sort")}
    return url_for(request.endpoint, **request.view_args, **args, sort=target), direction


def _page_link(cursor: str | None, before: str | None = None, **extra) -> str:
    """This list with another page: after ``cursor``, before ``before``, or the first."""
    args = {k: v for k, v in request.args.items() if k not in ("cursor", "before", *extra)}
    if cursor:
        args["cursor"] = cursor
    elif before:
        args["before"] = before
    return url_for(request.endpoint, **request.view_args, **args, **extra)


def _export_link(view: EntityView, fmt: str) -> str:
    args = {k: v for k, v in request.args.items()
            if k not in ("cursor", "before", "format", "print")}
    return view.url("export_list", format=fmt, **args)


@blueprint.get("/app/<plugin>/<plural>/export")
def export_list(plugin, plural):
    """The filtered list as CSV or XLSX for the logged-in user (export right; audited)."""
    from ..exporting import FORMATS, export

    view = _view(plugin, plural)
    _require(view.id, "export")
    fmt = request.args.get("format", "csv")
    if fmt not in FORMATS:
        abort(400)
    filters, state, problems = _list_query(view)
    if problems:
        abort(400)
    if state["q"]:
        filters["id__in"] = ",".join(map(str, _search_ids(view, state["q"])) or ["0"])
    try:
        data, _rows = _write(lambda: export(view.service, filters, fmt, sort=state["sort"],
                                            via="web"))
    except InvalidRecord:
        abort(400)
    mimetype = ("text/csv" if fmt == "csv" else
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response = current_app.response_class(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{plugin}-{plural}.{fmt}"'
    return response


# -- record ------------------------------------------------------------------------------------

def _related(view: EntityView, record_id: int) -> list[dict]:
    """Records of other entities that link to this one (an organisation's people)."""
    out = []
    for entity_id in _kernel().entities(g.tenant):
        if entity_id == view.id or not can(entity_id, "read"):
            continue
        other = entity_view(entity_id)
        hidden = other.service.field_rules()[0]
        for meta in other.metas:
            if meta.kind != "link" or meta.link_entity != view.id or meta.name in hidden:
                continue
            fields = [other.entity.title_field]
            if other.entity.title_field == "last_name" and "first_name" in other.by_name:
                fields.append("first_name")
            try:
                page = other.service.list(filters={meta.name: str(record_id)}, fields=fields,
                                          limit=RELATED_LIMIT)
            except (Forbidden, InvalidRecord):
                continue
            if not page.rows:
                continue
            out.append({
                "label": other.label(plural=True),
                "rows": [(other.url("record_page", record_id=r["id"]), record_title(other, r))
                         for r in page.rows],
                "more": other.url(**{meta.name: record_id}) if page.next_cursor else None,
                "all": other.url(**{meta.name: record_id}),
            })
    return out


def _history(view: EntityView, record_id: int, record_row: dict | None = None) -> list[dict]:
    hidden = view.service.field_rules()[0]
    record_row = record_row or {}
    out = []
    for row in audit.history(view.id, record_id, limit=50):
        changes = []
        for name, (old, new) in row["changes"].items():
            if name in hidden:
                continue
            meta = view.by_name.get(name)
            shown = forms.value_labels(meta, [{**record_row, name: old},
                                              {**record_row, name: new}]) or [None, None]
            changes.append({"label": meta.title() if meta else forms.system_label(name),
                            "old": forms.display(meta, name, old, {}, mode="inline",
                                                 shown=shown[0]),
                            "new": forms.display(meta, name, new, {}, mode="inline",
                                                 shown=shown[1])})
        out.append({**row, "changes": changes})
    return out


def _owner_name(owner_id) -> str | None:
    if owner_id is None:
        return None
    from ..identity import User

    user = User.get_or_none(User.id == owner_id)
    return (user.display_name or user.name) if user else None


@blueprint.get("/app/<plugin>/<plural>/<int:record_id>")
def record_page(plugin, plural, record_id):
    view = _view(plugin, plural)
    printing = request.args.get("print") == "1"
    _require(view.id, "read")
    record = view.service.get(record_id)
    if printing and not can(view.id, "print", record):
        raise Forbidden("print")
    row = view.service.to_dict(record)
    hidden = view.service.field_rules()[0]
    tags = tagging.chips(view, record, row)
    # A single field a visible list stands for (the primary phone beside every phone) is
    # not shown twice.
    related = getattr(view.service, "related_by_field", {}) or {}
    replaced = {f for name, rel in related.items() if name not in hidden
                for f in (getattr(rel, "form_replaces", None) or {}).get(name, ())}
    metas = [m for m in view.metas if m.name not in hidden and m.name not in replaced
             and not (tags is not None and m.name == "tags")]   # shown as chips instead
    targets = {m.name: m.link_entity if m.kind == "link" else row.get(m.link_entity_field)
               for m in metas if m.kind == "link" or m.link_entity_field}
    titles = {name: _titles(target, [row.get(name)]) for name, target in targets.items()
              if target}
    shown = [(m, forms.display(m, m.name, row.get(m.name), row, titles.get(m.name),
                               _linker(targets[m.name]) if targets.get(m.name) else None,
                               shown=(forms.value_labels(m, [row]) or [None])[0]))
             for m in metas]
    if printing:
        actor = current_actor()
        audit.record(view.id, record.id, "print", {}, via="web", user_id=actor.id,
                     user_name=actor.name)
    tabs, current, tab_html = ([], "details", None) if printing else \
        _record_tabs(view, record, {m.name: row.get(m.name) for m in metas} | {
            k: row.get(k) for k in ("id", "version", "owner_id", "team_id", "created_at",
                                    "updated_at")})
    return render_template(
        "peyvand/record.html", view=view, row=row, record=record, shown=shown,
        title=record_title(view, row), printing=printing,
        owner=_owner_name(record.owner_id), tabs=tabs, tab=current, tab_html=tab_html,
        related=_related(view, record.id) if current == "details" and not printing else [],
        history=_history(view, record.id, row) if current == "history" else [],
        can_edit=can(view.id, "update", record), can_delete=can(view.id, "delete", record),
        can_print=can(view.id, "print", record), display=forms.display, tags=tags)


def _record_tabs(view: EntityView, record, row: dict):
    """``(tabs, current tab id, its HTML)``: "Details", the plugins' tabs the user may see
    (``register_record_tabs``), "History". Only the current tab is rendered."""
    from markupsafe import escape

    from . import contrib, menu

    actor = current_actor()
    wanted = request.args.get("tab") or "details"
    here = view.url("record_page", record_id=record.id)
    tabs = [{"id": "details", "label": _("Details"), "url": here}]
    chosen = None
    args = {"entity": view.id, "record": record, "row": row, "lang": i18n.current_language()}
    for tab in contrib.record_tabs(_kernel(), g.tenant, view.id):
        if not menu.allowed(actor, tab.permission):
            continue
        if tab.url is not None:
            try:
                url = str(contrib.call_with(tab.url, **args))
            except Exception:
                if _kernel().settings.strict_plugins:
                    raise
                continue
            tabs.append({"id": tab.id, "label": i18n.label(tab.label, tab.id), "url": url,
                         "external": True})
            continue
        tabs.append({"id": tab.id, "label": i18n.label(tab.label, tab.id),
                     "url": f"{here}?tab={tab.id}"})
        if tab.id == wanted:
            chosen = tab
    tabs.append({"id": "history", "label": _("History"), "url": f"{here}?tab=history"})
    if wanted == "history":
        return tabs, "history", None
    if chosen is None:
        return tabs, "details", None
    try:
        html = contrib.call_with(chosen.render, **args)
    except Exception:
        if _kernel().settings.strict_plugins:
            raise
        html = Markup('<p class="flash flash-error">') + escape(
            _("This tab could not be shown; the rest of the page works. An administrator "
              "can find the error in the server's log.")) + Markup("</p>")
        current_app.logger.exception("record tab %s failed", chosen.id)
    return tabs, chosen.id, Markup(html if isinstance(html, Markup) else str(html or ""))


# -- forms -------------------------------------------------------------------------------------

def _link_options(meta: FieldMeta) -> list | None:
    """Choices for a link field when the linked entity has few enough readable records."""
    target = entity_view(meta.link_entity)
    if target is None or not can(meta.link_entity, "read"):
        return None
    fields = [target.entity.title_field]
    if target.entity.title_field == "last_name" and "first_name" in target.by_name:
        fields.append("first_name")
    try:
        page = target.service.list(fields=fields, limit=forms.SELECT_LIMIT)
    except (Forbidden, InvalidRecord):
        return None
    if page.next_cursor:
        return None
    options = [(r["id"], record_title(target, r)) for r in page.rows]
    return sorted(options, key=lambda o: o[1])


def _model_default(view: EntityView, name: str):
    """The value a new record gets when the form leaves ``name`` out (a plain default)."""
    column = view.service.model._meta.fields.get(name)
    default = getattr(column, "default", None)
    return None if callable(default) else default


def _related_inputs(view: EntityView) -> dict:
    """``{field: RelatedData}``: the related fields the form edits (those whose owner offers
    inputs, when the user may write them and every schema field they replace)."""
    hidden, read_only = view.service.field_rules()
    closed = hidden | read_only
    out = {}
    for rel in view.service.related:
        for name in rel.form_fields:
            if name in rel.fields and name not in closed and \
                    not closed.intersection(rel.form_replaces.get(name, ())):
                out[name] = rel
    return out


def _render_related(view: EntityView, inputs: dict, values: dict, errors: dict,
                    add: str | None = None) -> list:
    """The HTML of each related field's inputs, with the errors that name it."""
    out = []
    for name, rel in inputs.items():
        mine = {k: v for k, v in errors.items()
                if k == name or k.startswith((name + "[", name + "."))}
        value = values[name] if name in values else rel.empty(name)
        out.append(Markup(rel.form_input(view.entity, name, value, mine, add=add == name)))
    return out


def _form_fields(view: EntityView, row: dict | None, creating: bool = False,
                 inputs: dict | None = None) -> list[FormField]:
    hidden, read_only = view.service.field_rules()
    replaced = {f for name, rel in (inputs or {}).items()
                for f in rel.form_replaces.get(name, ())}
    out = []
    for meta in view.metas:
        if meta.name in hidden or meta.kind == "related" or meta.name in replaced:
            continue
        stored = (row or {}).get(meta.name)
        if creating and stored is None:
            stored = _model_default(view, meta.name)
        value = forms.input_value(meta, stored)
        ff = FormField(meta=meta, value=value, read_only=meta.name in read_only)
        if meta.kind == "link":
            ff.options = _link_options(meta)
            if row and row.get(meta.name):
                ff.link_title = _titles(meta.link_entity, [row[meta.name]]).get(row[meta.name])
        out.append(ff)
    return out


def _refill(fields: list[FormField], form, errors: dict) -> None:
    """Show what was sent, with its errors, after a refused submission."""
    for ff in fields:
        if ff.read_only:
            continue
        if ff.meta.kind == "checkbox":
            ff.value = ff.meta.name in form
        elif ff.meta.kind == "checkboxes":
            ff.value = form.getlist(ff.meta.name)
        else:
            ff.value = form.get(ff.meta.name, "")
        ff.errors = errors.get(ff.meta.name, [])


def _save(view: EntityView, fields, record_id=None, inputs: dict | None = None):
    """``(record, errors)`` for the submitted form (its related inputs written with the
    schema's fields, in the same service call)."""
    data, errors = forms.parse(fields, request.form, creating=record_id is None)
    data.update(_related_values(view, inputs))
    if errors:
        return None, errors
    try:
        if record_id is None:
            return _write(lambda: view.service.create(data, via="web")), {}
        version = request.form.get("version")
        if_match = int(version) if version and version.isdigit() else None
        return _write(lambda: view.service.update(record_id, data, if_match=if_match,
                                                  via="web")), {}
    except InvalidRecord as exc:
        return None, forms.translated_errors(exc.errors)


def _related_values(view: EntityView, inputs: dict | None) -> dict:
    """What the related inputs of the submitted form hold, in API form."""
    return {name: rel.form_value(view.entity, name, request.form)
            for name, rel in (inputs or {}).items()}


@dataclass(frozen=True)
class FormPart:
    entity: str
    template: str
    forms: frozenset
    permission: str | None
    order: int


def _form_part(plugin: str, raw) -> FormPart:
    from ..errors import PluginError

    if not isinstance(raw, dict) or not raw.get("entity") or not raw.get("template"):
        raise PluginError(f"plugin {plugin!r}: register_form_parts must return dicts with "
                          f"'entity' and 'template', got {raw!r}")
    forms_ = raw.get("forms") or ("create", "edit")
    if isinstance(forms_, str):
        forms_ = (forms_,)
    unknown = set(forms_) - {"create", "edit"}
    if unknown:
        raise PluginError(f"plugin {plugin!r}: form part {raw['template']!r} names forms "
                          f"{sorted(unknown)}; use 'create' and/or 'edit'")
    return FormPart(str(raw["entity"]), str(raw["template"]), frozenset(forms_),
                    raw.get("permission") or None, int(raw.get("order", 100)))


def form_parts(entity_id: str, form: str) -> list[str]:
    """The templates plugins add to ``entity_id``'s ``form`` (``create`` or ``edit``) for the
    logged-in user (hook ``register_form_parts``)."""
    from .menu import allowed

    kernel = _kernel()

    def build():
        parts = []
        for plugin, raw in kernel.collect("register_form_parts", kernel.enabled(g.tenant)):
            try:
                parts.append(_form_part(plugin, raw))
            except Exception:
                if kernel.settings.strict_plugins:
                    raise
                continue   # one plugin's malformed part must not take the form down
        return sorted(parts, key=lambda p: (p.order, p.template))

    actor = current_actor()
    return [p.template for p in kernel.cache(f"form-parts:{g.tenant}", build)
            if p.entity == entity_id and form in p.forms and allowed(actor, p.permission)]


@blueprint.route("/app/<plugin>/<plural>/new", methods=["GET", "POST"])
def new_record(plugin, plural):
    view = _view(plugin, plural)
    _require(view.id, "create")
    defaults = {k: v for k, v in request.args.items() if k in view.by_name}
    inputs = _related_inputs(view)
    fields = _form_fields(view, defaults or None, creating=True, inputs=inputs)
    errors, related = {}, {}
    add = request.form.get("_add") if request.method == "POST" else None
    if add is not None:  # "add another": show what was typed again, with one more item
        related = _related_values(view, inputs)
        _refill(fields, request.form, {})
    elif request.method == "POST":
        record, errors = _save(view, fields, inputs=inputs)
        if record is not None:
            flash(_("Saved."), "success")
            return redirect(view.url("record_page", record_id=record.id))
        related = _related_values(view, inputs)
        _refill(fields, request.form, errors)
    return render_template("peyvand/form.html", view=view, fields=fields, record=None,
                           errors=errors, title=_("New %(entity)s", entity=view.label()),
                           date_example=i18n.date_example(),
                           related_inputs=_render_related(view, inputs, related, errors, add),
                           form_parts=form_parts(view.id, "create")), (422 if errors else 200)


@blueprint.route("/app/<plugin>/<plural>/<int:record_id>/edit", methods=["GET", "POST"])
def edit_record(plugin, plural, record_id):
    view = _view(plugin, plural)
    _require(view.id, "update")
    record = view.service.get(record_id, action="update")
    row = view.service.to_dict(record)
    inputs = _related_inputs(view)
    fields = _form_fields(view, row, inputs=inputs)
    errors, related = {}, row
    add = request.form.get("_add") if request.method == "POST" else None
    if add is not None:  # "add another": show what was typed again, with one more item
        related = _related_values(view, inputs)
        _refill(fields, request.form, {})
    elif request.method == "POST":
        try:
            saved, errors = _save(view, fields, record_id, inputs=inputs)
        except StaleVersion:
            flash(_("Someone else changed this record while you were editing it. Here is the "
                    "current version; make your change again."), "error")
            return redirect(view.url("edit_record", record_id=record_id))
        if saved is not None:
            flash(_("Saved."), "success")
            return redirect(view.url("record_page", record_id=record_id))
        related = _related_values(view, inputs)
        _refill(fields, request.form, errors)
    return render_template("peyvand/form.html", view=view, fields=fields, record=record,
                           errors=errors, title=record_title(view, row),
                           date_example=i18n.date_example(),
                           related_inputs=_render_related(view, inputs, related, errors, add),
                           form_parts=form_parts(view.id, "edit")), (422 if errors else 200)


@blueprint.route("/app/<plugin>/<plural>/<int:record_id>/delete", methods=["GET", "POST"])
def delete_record(plugin, plural, record_id):
    view = _view(plugin, plural)
    _require(view.id, "delete")
    record = view.service.get(record_id, action="delete")
    row = view.service.to_dict(record)
    if request.method == "POST":
        _write(lambda: view.service.delete(record_id, via="web"))
        flash(_("“%(title)s” is in the trash. It can be restored from the list's Trash for "
                "%(days)s days.",
                title=record_title(view, row), days=_kernel().settings.trash_days), "success")
        return redirect(view.url())
    return render_template("peyvand/delete.html", view=view, record=record,
                           title=record_title(view, row))


# -- errors ------------------------------------------------------------------------------------

@blueprint.app_template_global()
def now_text() -> str:
    return i18n.datetime_text(datetime.datetime.now(datetime.UTC))


@blueprint.app_template_global()
def entity_label(entity_id: str, plural: bool = False) -> str:
    view = entity_view(entity_id)
    return view.label(plural) if view else entity_id


@blueprint.app_template_global()
def field_title(entity_id: str, name: str) -> str:
    """The label of field ``name`` of ``entity_id`` as the generic pages show it."""
    view = entity_view(entity_id)
    meta = view.by_name.get(name) if view else None
    return meta.title() if meta else forms.system_label(name)


@blueprint.app_template_global()
def field_value(entity_id: str, name: str, value, row: dict | None = None):
    """``value`` of field ``name`` of ``entity_id`` shown as the generic record page shows it
    (the user's digits and calendar, choices translated, a linked record by its title)."""
    view = entity_view(entity_id)
    meta = view.by_name.get(name) if view else None
    titles = link = None
    if meta is not None and meta.kind == "link" and value:
        titles, link = _titles(meta.link_entity, [value]), _linker(meta.link_entity)
    shown = forms.value_labels(meta, [{**(row or {}), name: value}]) if value else None
    return forms.display(meta, name, value, row or {}, titles, link,
                         shown=(shown or [None])[0])


def _error_page(code: int, title: str, message: str):
    return render_template("peyvand/error.html", code=code, title=title, message=message), code


@blueprint.errorhandler(Forbidden)
def forbidden(exc):
    return _error_page(403, _("Not allowed"),
                       _("Your role does not allow this. An administrator can grant it."))


@blueprint.errorhandler(RecordNotFound)
def record_not_found(exc):
    return _error_page(404, _("Not found"),
                       _("This record does not exist, was deleted, or is not shared with you."))


@blueprint.errorhandler(404)
def page_not_found(exc):
    return _error_page(404, _("Not found"), _("There is no page at this address."))


@blueprint.errorhandler(400)
def bad_request(exc):
    return _error_page(400, _("Bad request"),
                       _("This address or form has something the page cannot use. Go back and "
                         "try again."))
