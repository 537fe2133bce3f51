"""Tags: coloured labels on any record of any entity, defined per tenant.

A tag has a name, unique once Persian/Arabic letter forms, digits, ZWNJ, spacing and case are
folded (``مشتري ويژه`` and ``مشتری ویژه`` are one tag), and a colour ``#rrggbb``. Records carry
their tags in the API as ``tags``, a list of names, read and written with the record (the
kernel's :class:`~peyvand.related.RelatedData` for every entity): tagging is an update of the
record (its update right, its version, its audit trail and events). Unknown names create the
tag when the user may manage tags (``peyvand.tags.manage``, admins by default); otherwise the
write is refused naming the tag. Lists filter with ``?tag=NAME`` (repeat it: all of them).
"""

from __future__ import annotations

import re
import unicodedata

import peewee
from marshmallow import fields, validate

from .entities import Model
from .errors import PeyvandError
from .related import RelatedData
from .storage import utcnow

MANAGE = "peyvand.tags.manage"
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
MAX_NAME = 50
#: Colours given to tags created without one, in turn.
PALETTE = ("#2563eb", "#16a34a", "#d97706", "#dc2626", "#7c3aed", "#0891b2", "#db2777",
           "#4b5563")

_FOLD = str.maketrans({
    "ي": "ی", "ى": "ی", "ك": "ک", "ة": "ه", "ۀ": "ه", "أ": "ا", "إ": "ا",
    **{0x06F0 + i: str(i) for i in range(10)}, **{0x0660 + i: str(i) for i in range(10)},
    "\u200c": " ", "\u200d": None, "\u200e": None, "\u200f": None, "\u0640": None,
})


class TagError(PeyvandError):
    """A tag refused. ``code`` says why (``name_missing``, ``name_too_long``, ``name_taken``,
    ``colour``) and ``field`` which input (``name`` or ``colour``), so the API and the pages
    name the field and say it in the user's language without reading the English text."""

    def __init__(self, message: str, code: str, field: str = "name"):
        super().__init__(message)
        self.code, self.field = code, field


def tag_key(name: str) -> str:
    """The folded form two names must not share: Arabic ي/ك/ة as Persian ی/ک/ه, Persian and
    Arabic digits as 0-9, ZWNJ as a space, diacritics dropped, spacing collapsed, case folded."""
    text = unicodedata.normalize("NFKC", str(name)).translate(_FOLD)
    text = "".join(ch for ch in text if not ("\u064b" <= ch <= "\u065f" or ch == "\u0670"))
    return " ".join(text.casefold().split())


def clean_name(name) -> str:
    """A tag name as stored: trimmed, inner spacing collapsed; ``TagError`` if unusable."""
    text = " ".join(str(name or "").split())
    if not text:
        raise TagError("a tag needs a name", "name_missing")
    if len(text) > MAX_NAME:
        raise TagError(f"a tag name has at most {MAX_NAME} characters ({len(text)} given)",
                       "name_too_long")
    return text


def clean_colour(colour) -> str:
    if not isinstance(colour, str) or not COLOUR.match(colour.strip()):
        raise TagError(f"colour {colour!r}: use #rrggbb, e.g. #2563eb", "colour", "colour")
    return colour.strip().lower()


class Tag(Model):
    id = peewee.AutoField()
    name = peewee.CharField(max_length=MAX_NAME)
    key = peewee.CharField(max_length=MAX_NAME * 2, unique=True)   # tag_key(name)
    colour = peewee.CharField(max_length=7)
    created_at = peewee.DateTimeField(default=utcnow)
    created_by = peewee.IntegerField(null=True)

    class Meta:
        table_name = "peyvand_tag"


class TagLink(Model):
    id = peewee.AutoField()
    tag = peewee.ForeignKeyField(Tag, on_delete="CASCADE")
    entity = peewee.CharField(max_length=100)
    record_id = peewee.IntegerField()
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "peyvand_tag_link"
        indexes = (
            (("entity", "record_id"), False),
            (("tag", "entity", "record_id"), True),
        )


def describe(tag: Tag) -> dict:
    return {"id": tag.id, "name": tag.name, "colour": tag.colour}


def all_tags() -> list[Tag]:
    return list(Tag.select().order_by(Tag.key))


def _audit(tag_id: int, action: str, changes: dict, via: str | None) -> None:
    """Tag definitions are audited as entity ``peyvand.tag``."""
    from . import audit
    from .access import current_actor

    actor = current_actor()
    audit.record("peyvand.tag", tag_id, action, changes,
                 via=getattr(actor, "via", None) or via or "api",
                 user_id=getattr(actor, "id", None), user_name=getattr(actor, "name", None))


def _check_free(name: str, but: int | None = None) -> str:
    key = tag_key(name)
    clash = Tag.get_or_none(Tag.key == key)
    if clash is not None and clash.id != but:
        raise TagError(f"tag {clash.name!r} already exists (names are compared with Persian "
                       "and Arabic letters, digits and case folded)", "name_taken")
    return key


def create_tag(name, colour=None, *, via: str | None = None) -> Tag:
    """A new tag (colour from :data:`PALETTE` when none is given); audited."""
    from .access import current_actor

    name = clean_name(name)
    key = _check_free(name)
    if colour is None:
        colour = PALETTE[Tag.select().count() % len(PALETTE)]
    colour = clean_colour(colour)
    actor = current_actor()
    tag = Tag.create(name=name, key=key, colour=colour, created_by=getattr(actor, "id", None))
    _audit(tag.id, "create", {"name": (None, name), "colour": (None, colour)}, via)
    _changed()
    return tag


def get_tag(tag_id: int) -> Tag:
    tag = Tag.get_or_none(Tag.id == tag_id)
    if tag is None:
        from .records import RecordNotFound

        raise RecordNotFound(f"tag {tag_id} does not exist")
    return tag


def find_tag(name_or_id) -> Tag | None:
    """A tag by id (digits) or by name (folded)."""
    text = str(name_or_id).strip()
    if text.isdigit():
        found = Tag.get_or_none(Tag.id == int(text))
        if found is not None:
            return found
    return Tag.get_or_none(Tag.key == tag_key(text))


def update_tag(tag: Tag, *, name=None, colour=None, via: str | None = None) -> Tag:
    changes = {}
    if name is not None:
        name = clean_name(name)
        if name != tag.name:
            tag.key = _check_free(name, but=tag.id)
            changes["name"] = (tag.name, name)
            tag.name = name
    if colour is not None:
        colour = clean_colour(colour)
        if colour != tag.colour:
            changes["colour"] = (tag.colour, colour)
            tag.colour = colour
    if changes:
        tag.save()
        _audit(tag.id, "update", changes, via)
        _changed()      # the list pages' tag menu is cached too
    return tag


def delete_tag(tag: Tag, *, via: str | None = None) -> int:
    """Delete the tag and take it off every record; returns how many records had it."""
    count = TagLink.delete().where(TagLink.tag == tag.id).execute()
    _audit(tag.id, "delete", {"name": (tag.name, None), "records": (count, None)}, via)
    tag.delete_instance()
    _changed()
    return count


def _changed() -> None:
    """Whether a tenant has tags at all, and the list pages' tag menu, are cached: tell every
    process."""
    from .events import _kernel

    try:
        _kernel().bump_generation()
    except RuntimeError:  # no kernel in this process (a bare script): nothing is cached
        pass


def _any_tags() -> bool:
    from .events import _kernel
    from .storage import current_tenant

    try:
        kernel = _kernel()
    except RuntimeError:
        return True
    return kernel.cache(f"tags-any:{current_tenant()}", lambda: Tag.select().exists())


def tag_filter_sql(entity_id: str, names: list[str], mark: str) -> tuple[list, list]:
    """``([sql fragment], [params])`` keeping records that carry every tag in ``names``."""
    fragments, params = [], []
    for name in names:
        tag = Tag.get_or_none(Tag.key == tag_key(name))
        if tag is None:
            fragments.append("1 = 0")  # no such tag: nothing carries it
            continue
        fragments.append(f'"t"."id" IN (SELECT "record_id" FROM "peyvand_tag_link" WHERE '
                         f'"entity" = {mark} AND "tag_id" = {mark})')
        params += [entity_id, tag.id]
    return fragments, params


class Tags(RelatedData):
    """``tags`` on every entity: a list of tag names (sorted)."""

    fields = {"tags": fields.List(
        fields.String(validate=validate.Length(min=1, max=MAX_NAME)),
        validate=validate.Length(max=50),
        metadata={"label": {"en": "Tags", "fa": "برچسب‌ها"},
                  "description": "Tag names, sorted. Sending the list replaces the record's "
                                 "tags; an unknown name creates the tag for users who may "
                                 "manage tags (`peyvand.tags.manage`), else it is refused. "
                                 "Filter lists with `?tag=NAME` (repeat for all of several)."})}

    def load(self, entity, ids, rows=None):
        if not ids or not _any_tags():
            return {}
        db = TagLink._meta.database
        p = db.param
        out: dict[int, dict] = {}
        for record_id, name in db.execute_sql(
                'SELECT l."record_id", t."name" FROM "peyvand_tag_link" AS l JOIN "peyvand_tag" '
                f'AS t ON t."id" = l."tag_id" WHERE l."entity" = {p} AND l."record_id" IN '
                f'({", ".join([p] * len(ids))}) ORDER BY t."key"', [entity.id, *ids]):
            out.setdefault(record_id, {"tags": []})["tags"].append(name)
        return out

    def clean(self, entity, values, record=None):
        """Names to the stored spelling of existing tags (sorted, once each); unknown names
        create tags for users who may manage them."""
        from .access import permission_scope
        from .records import InvalidRecord

        names = values.get("tags") or []
        by_key: dict[str, str] = {}
        for name in names:
            try:
                text = clean_name(name)
            except TagError as exc:
                raise InvalidRecord({"tags": [str(exc)]}) from None
            by_key.setdefault(tag_key(text), text)
        existing = {t.key: t for t in Tag.select().where(Tag.key.in_(list(by_key)))} \
            if by_key else {}
        missing = [text for key, text in by_key.items() if key not in existing]
        if missing:
            if permission_scope(MANAGE) == "none":
                raise InvalidRecord({"tags": [
                    f"there is no tag {missing[0]!r}; pick an existing tag or ask someone "
                    f"who may manage tags ({MANAGE}) to create it"]})
            for text in missing:
                try:
                    tag = create_tag(text)
                except TagError as exc:
                    raise InvalidRecord({"tags": [str(exc)]}) from None
                existing[tag.key] = tag
        return {"tags": [existing[key].name for key in sorted(by_key)]}

    def save(self, entity, record, values, action):
        names = values.get("tags") or []
        wanted = {t.id for t in Tag.select(Tag.id).where(
            Tag.key.in_([tag_key(n) for n in names]))} if names else set()
        have = set(TagLink.select(TagLink.tag).where(
            (TagLink.entity == entity.id) & (TagLink.record_id == record.id)).tuples())
        have = {tag_id for (tag_id,) in have}
        gone = have - wanted
        if gone:
            TagLink.delete().where((TagLink.entity == entity.id)
                                   & (TagLink.record_id == record.id)
                                   & TagLink.tag.in_(sorted(gone))).execute()
        new = sorted(wanted - have)
        if new:
            TagLink.insert_many([{"tag": t, "entity": entity.id, "record_id": record.id}
                                 for t in new]).execute()

    def export_text(self, name, value):
        return ", ".join(value) if value else None


TAGS = Tags()
