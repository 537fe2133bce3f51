"""Export any entity's (filtered) list as CSV or XLSX, through the permission engine.

The export right is separate from the read right; hidden fields are left out; every export is
recorded in the audit trail (who, which entity, which filter, how many rows). Values a
spreadsheet would execute as a formula are neutralised.
"""

from __future__ import annotations

import csv
import io
import json

from . import audit
from .access import current_actor
from .records import EntityService

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FORMATS = ("csv", "xlsx")


def neutralise(value):
    """A cell value: lists and objects as JSON text, and text a spreadsheet would run as a
    formula prefixed with a quote, so it stays text."""
    if isinstance(value, (list, dict)):
        value = json.dumps(value, ensure_ascii=False)
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def rows_for_export(service: EntityService, filters: dict[str, str], sort: str | None = None):
    """``(columns, rows)`` of every record the actor may export, in pages (keyset)."""
    service._allowed("export")
    columns = None
    rows: list[list] = []
    cursor = None
    while True:
        page = service.list(filters=filters, sort=sort, limit=500, cursor=cursor,
                            action="export")
        for record in page.rows:
            if columns is None:
                columns = list(record)
            rows.append([neutralise(service.export_value(c, record.get(c))) for c in columns])
        cursor = page.next_cursor
        if cursor is None:
            break
    if columns is None:
        hidden = service.field_rules()[0]
        columns = ["id", *[f for f in service.fields if f not in hidden]]
    return columns, rows


def render(columns, rows, fmt: str) -> bytes:
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(columns)
        writer.writerows(rows)
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # BOM: Excel reads UTF-8 right
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("export")
    sheet.append(columns)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export(service: EntityService, filters: dict[str, str], fmt: str, *,
           sort: str | None = None, via: str = "api") -> tuple[bytes, int]:
    """The file's bytes and its row count; the export is recorded in the audit trail."""
    columns, rows = rows_for_export(service, filters, sort)
    data = render(columns, rows, fmt)
    actor = current_actor()
    audit.record(service.entity.id, 0, "export",
                 {"filter": (None, json.dumps(filters, ensure_ascii=False, sort_keys=True)),
                  "rows": (None, len(rows)), "format": (None, fmt)},
                 via=getattr(actor, "via", None) or via, user_id=getattr(actor, "id", None),
                 user_name=getattr(actor, "name", None))
    return data, len(rows)


def export_entity(entity_id: str, filters: dict[str, str] | None = None, fmt: str = "csv", *,
                  sort: str | None = None, via: str = "cli") -> tuple[bytes, int]:
    """Export ``entity_id``'s filtered list for the acting user (the tenant must be bound);
    the same rights, field masks, neutralisation and audit as the API's export."""
    from .kernel import active_kernel
    from .storage import current_tenant

    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    service = active_kernel().service(entity_id, current_tenant())
    if service is None:
        raise ValueError(f"no enabled entity {entity_id!r}")
    return export(service, dict(filters or {}), fmt, sort=sort, via=via)
