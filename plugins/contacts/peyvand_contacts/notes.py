"""Notes about a person or an organisation (``contacts.note``, ``/api/v1/contacts/notes``).

Free text, and after a call optionally the customer's mood. A note's owner is its author (set
by the API from the acting user) and its team the author's team, so the usual scopes share it:
a manager's team reads its members' notes, a salesperson their own. A note must name the
contact it is about (``person_id`` or ``organization_id``, exactly one), which the author must
be able to read. ``GET /api/v1/contacts/notes?person_id=17`` lists a contact's notes; they also
appear on the contact's timeline.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from peyvand_sdk import Entity, Veto, restrict

from .models import Note, Organization, Person

#: Moods after a call, from best to worst (labels in Persian in the catalogue and below).
MOODS = ("happy", "satisfied", "neutral", "unsatisfied", "angry")
MOOD_LABELS = {
    "happy": {"en": "Happy", "fa": "خوشحال"},
    "satisfied": {"en": "Satisfied", "fa": "راضی"},
    "neutral": {"en": "Neutral", "fa": "بی‌تفاوت"},
    "unsatisfied": {"en": "Unsatisfied", "fa": "ناراضی"},
    "angry": {"en": "Angry", "fa": "عصبانی"},
}
MAX_BODY = 20_000


class NoteSchema(Schema):
    person_id = fields.Integer(allow_none=True, metadata={
        "label": {"en": "Person", "fa": "شخص"},
        "description": "The person the note is about (or `organization_id`)."})
    organization_id = fields.Integer(allow_none=True, metadata={
        "label": {"en": "Organisation", "fa": "سازمان"},
        "description": "The organisation the note is about (or `person_id`)."})
    body = fields.String(required=True, validate=validate.Length(min=1, max=MAX_BODY),
                         metadata={"label": {"en": "Note", "fa": "یادداشت"}})
    mood = fields.String(allow_none=True, validate=validate.OneOf(MOODS), metadata={
        "label": {"en": "Mood", "fa": "حال مشتری"},
        "description": "The customer's mood after a call: " + ", ".join(
            f"`{m}` ({MOOD_LABELS[m]['fa']})" for m in MOODS) + "."})


NOTE = Entity(
    name="note", plural="notes", model=Note, schema=NoteSchema,
    label={"en": "Note", "fa": "یادداشت"}, label_plural={"en": "Notes", "fa": "یادداشت‌ها"},
    title_field="body", searchable=("body",), default_sort="-id",
    example={"person_id": 1, "body": "تماس گرفتم؛ پیش‌فاکتور را تا شنبه می‌خواهد.",
             "mood": "satisfied"},
)


def check(record, changes: dict) -> None:
    """``before_record_save`` of a note: exactly one contact, which the author may read.

    A contact outside the author's scope is refused as if it did not exist."""
    if not ({"person_id", "organization_id"} & set(changes)) and record.id is not None:
        return
    person, organization = record.person_id, record.organization_id
    if (person is None) == (organization is None):
        raise Veto("a note is about one person or one organisation: give person_id or "
                   "organization_id", field="person_id" if person is None else "organization_id")
    if person is not None:
        model, entity_id, field, value = Person, "contacts.person", "person_id", person
    else:
        model, entity_id, field, value = (Organization, "contacts.organization",
                                          "organization_id", organization)
    found = restrict(model.select(model.id).where((model.id == value)
                                                  & model.deleted_at.is_null()), entity_id)
    if not found.exists():
        raise Veto(f"there is no {entity_id.split('.')[1]} {value} you may read", field=field)
