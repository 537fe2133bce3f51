"""Hooks the sales plugin publishes for other plugins (finance, email, reports…).

Implement them with ``@hookimpl(optionalhook=True)`` so your plugin still loads where sales is
not installed.
"""

from peyvand_sdk import hookspec


@hookspec
def deal_stage_changed(deal, old_stage, new_stage):
    """A deal moved from ``old_stage`` to ``new_stage`` (stage keys of its pipeline), by a
    board move or any update; also when it moved to another pipeline (``deal.pipeline_id``
    is the new one, and the two keys may then be equal).

    :param deal: the saved ``peyvand_sales.models.Deal``.
    :return: ignored. Runs inside the transaction of the move.
    """


@hookspec
def deal_won(deal):
    """A deal was marked won. Finance may draft a pre-invoice from it.

    :param deal: the saved ``Deal``; ``deal.amount``, ``deal.currency``, ``deal.closed_at``
        and ``deal.won_reason`` (a key of the won_reason list, or ``None``) are set.
    :return: ignored. Runs inside the transaction of the change.
    """


@hookspec
def deal_lost(deal, reason):
    """A deal was marked lost.

    :param deal: the saved ``Deal``.
    :param reason: the lost reason's key (``"price"``, ``"competitor"``, …); a deal cannot be
        marked lost without one.
    :return: ignored. Runs inside the transaction of the change.
    """


@hookspec
def lead_converted(lead, person, deal):
    """A lead became a person (and possibly a deal).

    :param lead: the converted ``peyvand_sales.models.Lead`` (``status`` is
        ``"converted"``, ``person_id``, ``organization_id`` and ``deal_id`` are set).
    :param person: the ``contacts.person`` record it became (matched by normalised e-mail or
        phone, or new).
    :param deal: the new ``Deal``, or ``None`` when none was created.
    :return: ignored. Runs inside the transaction of the conversion.
    """


@hookspec
def activity_reminder(activity):
    """An activity's reminder time has come. The email plugin mails it to the assignee;
    the "my work" inbox shows it whether or not anyone implements this.

    Called by the ``sales.deliver_reminder`` job that ``sales.send_reminders`` queues once
    per reminder time, in the job's transaction: raising fails the job, which is retried with
    backoff and then listed with the dead jobs (``peyvand jobs dead``) for replay. Delivery is
    at least once for side effects outside the database (an SMTP send may repeat after a
    failure later in the same job).

    :param activity: the ``peyvand_sales.models.Activity``; ``activity.owner_id`` is the
        assignee, ``activity.due_at`` and ``activity.reminder_at`` are naive UTC.
    :return: ignored.
    """
