"""The kernel's own plugin: what every tenant has, registered through the same hooks."""

from .hookspecs import hookimpl
from .manifest import Manifest

manifest = Manifest(
    label={"en": "Peyvand kernel", "fa": "هسته پیوند"},
    description={"en": "Plugin lifecycle, storage, audit trail and the web shell.",
                 "fa": "چرخه عمر افزونه‌ها، ذخیره‌سازی، تاریخچه تغییرات و پوسته وب."},
)


@hookimpl
def register_models():
    from .attachments import Attachment
    from .audit import Audit, IdempotencyKey
    from .custom_fields import CustomField, CustomValue
    from .identity import MODELS

    return [Audit, IdempotencyKey, CustomField, CustomValue, Attachment, *MODELS]


@hookimpl
def register_tasks():
    from .tasks import Task
    from .trash import purge_task

    return [Task("peyvand.purge_trash", purge_task, every=24 * 3600)]
