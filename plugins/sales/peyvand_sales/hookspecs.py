"""Hooks the sales plugin publishes for other plugins (finance, email, reports…).

Implement them with ``@hookimpl(optionalhook=True)`` so your plugin still loads where sales is
not installed.
"""

from peyvand_sdk import hookspec


@hookspec
def deal_stage_changed(deal, old_stage, new_stage):
    """A deal moved from ``old_stage`` to ``new_stage`` (stage keys of its pipeline).

    :param deal: the saved ``peyvand_sales.models.Deal``.
    :return: ignored. Runs inside the transaction of the move.
    """


@hookspec
def deal_won(deal):
    """A deal was marked won. Finance may draft a pre-invoice from it.

    :param deal: the saved ``Deal``; ``deal.amount`` and ``deal.currency`` are set.
    :return: ignored.
    """


@hookspec
def deal_lost(deal, reason):
    """A deal was marked lost.

    :param deal: the saved ``Deal``.
    :param reason: the lost reason's key (``"price"``, ``"competitor"``, …) or ``None``.
    :return: ignored.
    """


@hookspec
def lead_converted(lead, person, deal):
    """A lead became a person (and possibly a deal).

    :param lead: the converted lead record.
    :param person: the ``contacts.person`` record it became.
    :param deal: the new ``Deal``, or ``None`` when none was created.
    :return: ignored.
    """
