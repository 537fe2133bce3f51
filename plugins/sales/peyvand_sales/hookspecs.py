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


@hookspec
def deal_lines(deal):
    """Contribute the product lines of a deal (the finance plugin's pre-invoice lines, a
    catalogue plugin's items…). Sales shows them with the deal
    (``GET /api/v1/sales/deals/<id>/lines`` and the *Products* tab of the deal's page) and,
    when a deal has any, keeps its ``amount`` equal to their total (see :func:`deal_amount`).

    Called in the tenant's database context with the acting user bound; return only lines the
    user may read (``peyvand_sdk.restrict``).

    :param deal: the ``peyvand_sales.models.Deal`` (``id``, ``currency``, ``amount``…); on a
        save, with the new values set and not yet written.
    :return: a list of dicts, in display order::

            {"product": "POS terminal X200",      # what is sold (a name to show)
             "product_id": 17,                     # optional: your record's id
             "quantity": "20", "unit_price": "60000000",
             "discount": "0",                      # an amount off the line, not a percent
             "tax": "108000000",                   # the line's tax amount (VAT…)
             "total": "1308000000"}                # quantity × unit_price − discount + tax

        Numbers are decimal strings (or ``decimal.Decimal``/``int``) in the deal's currency;
        ``total`` must equal the formula. Return ``[]`` (or ``None``) for a deal you have no
        lines for. A malformed line is an error naming your plugin.
    """


@hookspec(firstresult=True)
def deal_amount(deal, lines):
    """Compute or check a deal's amount from its product lines (``firstresult``: the first
    answer that is not ``None`` wins).

    Called when a deal that has lines (from :func:`deal_lines`) is saved, and when its lines
    are shown. Return the amount the deal must have (a ``Decimal``, ``int`` or decimal
    string), e.g. after an invoice-level discount or rounding, or ``None`` to let sales use the
    sum of the lines' ``total``. Raise ``peyvand_sdk.Veto(message, field="amount")`` to refuse
    the save (the API answers 422). A save that sets an amount different from the computed
    one is refused; otherwise the computed amount is written.

    :param deal: the ``Deal`` being saved (new values set, not yet written) or shown.
    :param lines: the normalised lines from every plugin: dicts as in :func:`deal_lines`
        with ``Decimal`` numbers and a ``"plugin"`` key naming who contributed each.
    :return: the amount, or ``None``.
    """
