"""A limit on lead-form submissions per client address, kept in the tenant's database.

Each accepted attempt is a row in ``sales_form_hit`` (address, time); an address that made
``sales.lead_form_rate_limit`` attempts within the last ``sales.lead_form_rate_window_minutes``
is refused (HTTP 429) until the oldest of them leaves the window. The rows live in the
database, so the limit holds across restarts and across every process serving the tenant;
rows older than the window are deleted as new ones arrive. A limit of 0 switches it off.
"""

from __future__ import annotations

import datetime

from peyvand_sdk import get_setting, tenant_db

from .models import FormHit
from .rules import utcnow

LIMIT_KEY = "sales.lead_form_rate_limit"
WINDOW_KEY = "sales.lead_form_rate_window_minutes"


def settings():
    from peyvand_sdk import Setting

    return [
        Setting(LIMIT_KEY, "integer", 10,
                label={"en": "Lead form submissions per address",
                       "fa": "تعداد ارسال فرم سرنخ از هر نشانی"},
                description={"en": "How many times one client address may send lead forms "
                                   "within the window; 0 switches the limit off.",
                             "fa": "چند بار یک نشانی اینترنتی می‌تواند در بازه زمانی فرم سرنخ "
                                   "بفرستد؛ صفر یعنی بدون محدودیت."}),
        Setting(WINDOW_KEY, "integer", 60,
                label={"en": "Lead form rate window (minutes)",
                       "fa": "بازه محدودیت ارسال فرم سرنخ (دقیقه)"}),
    ]


def hit(address: str, now: datetime.datetime | None = None) -> int | None:
    """Count one attempt from ``address``: ``None`` if allowed (and recorded, committed at
    once so refused submissions count too), else the seconds until the next one is."""
    limit = int(get_setting(LIMIT_KEY) or 0)
    if limit <= 0:
        return None
    window = datetime.timedelta(minutes=max(1, int(get_setting(WINDOW_KEY) or 60)))
    now = now or utcnow()
    since = now - window
    address = (address or "unknown")[:64]
    with tenant_db.atomic():
        FormHit.delete().where(FormHit.at < since).execute()
        recent = [at for (at,) in FormHit.select(FormHit.at)
                  .where((FormHit.address == address) & (FormHit.at >= since))
                  .order_by(FormHit.at).tuples()]
        if len(recent) >= limit:
            oldest = recent[-limit]
            return max(1, int((oldest + window - now).total_seconds()) + 1)
        FormHit.create(address=address, at=now)
    return None
