"""The kernel's own plugin: what every tenant has, registered through the same hooks."""

from .hookspecs import hookimpl
from .manifest import Manifest

manifest = Manifest(
    label={"en": "Peyvand kernel", "fa": "هسته پیوند"},
    description={"en": "Plugin lifecycle, storage, audit trail and the web shell.",
                 "fa": "چرخه عمر افزونه‌ها، ذخیره‌سازی، تاریخچه تغییرات و پوسته وب."},
    hookspecs="peyvand.event_hookspecs",  # register_events, register_event_handlers
)


@hookimpl
def register_models():
    from .attachments import Attachment
    from .audit import Audit, IdempotencyKey
    from .custom_fields import CustomField, CustomValue
    from .events import Outbox
    from .identity import MODELS
    from .jobs import Job
    from .settings_store import StoredSetting
    from .tags import Tag, TagLink
    from .web_views import MODELS as VIEW_MODELS
    from .webhooks import Webhook, WebhookDelivery

    return [Audit, IdempotencyKey, CustomField, CustomValue, Attachment, *MODELS,
            Outbox, Job, Webhook, WebhookDelivery, StoredSetting, *VIEW_MODELS, Tag, TagLink]


@hookimpl
def register_permissions():
    from .permissions import Permission
    from .tags import MANAGE

    return [Permission(MANAGE, label={"en": "Manage tags (create, rename, recolour, delete)",
                                      "fa": "مدیریت برچسب‌ها (ساختن، تغییر نام و رنگ، حذف)"},
                       defaults={"admin": "all"})]


@hookimpl
def register_tasks():
    from .jobs import WEBHOOK_TASK
    from .tasks import Task
    from .trash import purge_task
    from .webhooks import deliver

    return [Task("peyvand.purge_trash", purge_task, every=24 * 3600),
            Task(WEBHOOK_TASK, deliver)]


@hookimpl
def register_settings():
    from .settings_store import Setting
    from .web.i18n import default_time_zone_name, time_zone_names

    return [Setting("peyvand.time_zone", "choice", default_time_zone_name(),
                    label={"en": "Time zone", "fa": "منطقه زمانی"},
                    description={"en": "Dates and times are shown and typed in this zone, unless "
                                       "a user chooses another one on their profile.",
                                 "fa": "تاریخ‌ها و ساعت‌ها در این منطقه نشان داده و وارد "
                                       "می‌شوند، مگر کاربری در نمایه‌اش منطقه دیگری برگزیند."},
                    choices=time_zone_names())]


@hookimpl
def register_events():
    from .events import kernel_event_types

    return kernel_event_types()


@hookimpl
def after_record_save(entity, record, changes, action):
    """Every record write leaves an event in the outbox, in the write's transaction."""
    from .events import record_event

    record_event(entity, record, changes, action)
