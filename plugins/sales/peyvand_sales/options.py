"""Admin-editable lists: lead sources, won, lost and disqualify reasons.

Each list is a set of entries ``{"key", "label": {"en", "fa"}, "active"}`` in display order.
Records keep the key, so renaming a label never touches them; an entry in use is deactivated
rather than deleted (records keep showing it, new records cannot pick it).
"""

from __future__ import annotations

from .models import Option

KINDS = ("lead_source", "won_reason", "lost_reason", "disqualify_reason")

DEFAULTS: dict[str, list[tuple[str, str, str]]] = {
    "lead_source": [
        ("web_form", "Web form", "فرم وب‌سایت"),
        ("email", "E-mail", "ایمیل"),
        ("phone_call", "Phone call", "تماس تلفنی"),
        ("sms", "SMS", "پیامک"),
        ("import", "Import", "درون‌ریزی"),
        ("referral", "Referral", "معرفی"),
        ("event", "Event / exhibition", "رویداد / نمایشگاه"),
        ("manual", "Entered by hand", "ثبت دستی"),
    ],
    "won_reason": [
        ("price", "Price", "قیمت"),
        ("product_fit", "Product fit", "تناسب محصول"),
        ("relationship", "Relationship", "رابطه"),
        ("support", "Service and support", "خدمات و پشتیبانی"),
    ],
    "lost_reason": [
        ("price", "Price", "قیمت"),
        ("competitor", "Chose a competitor", "انتخاب رقیب"),
        ("no_need", "No current need", "نیاز فعلی ندارد"),
        ("no_budget", "No budget", "بودجه ندارد"),
        ("timing", "Bad timing", "زمان نامناسب"),
        ("no_response", "Stopped responding", "عدم پاسخگویی"),
    ],
    "disqualify_reason": [
        ("competitor", "Competitor", "رقیب"),
        ("no_need", "No current need", "نیاز فعلی ندارد"),
        ("price", "Price", "قیمت"),
        ("spam", "Spam or fake", "هرزنامه یا جعلی"),
        ("duplicate", "Duplicate", "تکراری"),
        ("unreachable", "Unreachable", "در دسترس نیست"),
    ],
}


def ensure_defaults() -> int:
    """Give each list its default entries if it has none yet; returns how many were added."""
    added = 0
    for kind, entries in DEFAULTS.items():
        if Option.select().where(Option.kind == kind).exists():
            continue
        Option.insert_many(
            [(kind, key, en, fa, i, True) for i, (key, en, fa) in enumerate(entries)],
            fields=[Option.kind, Option.key, Option.label_en, Option.label_fa, Option.position,
                    Option.active]).execute()
        added += len(entries)
    return added


def entries(kind: str) -> list[dict]:
    rows = Option.select().where(Option.kind == kind).order_by(Option.position, Option.id)
    return [{"key": r.key, "label": {"en": r.label_en, "fa": r.label_fa}, "active": r.active}
            for r in rows]


def active_keys(kind: str) -> set[str]:
    return {key for (key,) in Option.select(Option.key)
            .where((Option.kind == kind) & Option.active).tuples()}


def is_active(kind: str, key: str) -> bool:
    return (Option.select().where((Option.kind == kind) & (Option.key == key) & Option.active)
            .exists())


def replace(kind: str, new: list[dict]) -> dict[str, tuple]:
    """Make ``kind``'s list ``new`` (validated dicts); entries left out are deactivated.

    Returns ``{key: (old, new)}`` of what changed, for the audit trail.
    """
    current = {r.key: r for r in Option.select().where(Option.kind == kind)}
    changes = {}
    sent = set()
    for position, entry in enumerate(new):
        key = entry["key"]
        sent.add(key)
        label = entry.get("label") or {}
        values = {"label_en": label.get("en") or key, "label_fa": label.get("fa") or
                  label.get("en") or key, "position": position,
                  "active": entry.get("active", True)}
        row = current.get(key)
        if row is None:
            Option.create(kind=kind, key=key, **values)
            changes[key] = (None, values)
            continue
        before = {"label_en": row.label_en, "label_fa": row.label_fa,
                  "position": row.position, "active": row.active}
        if before != values:
            Option.update(**values).where(Option.id == row.id).execute()
            changes[key] = (before, values)
    for key, row in current.items():
        if key not in sent and row.active:
            Option.update(active=False).where(Option.id == row.id).execute()
            changes[key] = ({"active": True}, {"active": False})
    return changes
