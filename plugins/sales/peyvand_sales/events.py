"""Firing the hooks this plugin publishes (``peyvand_sales.hookspecs``) through the tenant's
hook relay, so only plugins enabled for the tenant hear them."""

from __future__ import annotations

from peyvand_sdk import current_kernel, current_tenant


def relay():
    return current_kernel().hooks(current_tenant())


def deal_stage_changed(deal, old_stage, new_stage) -> None:
    relay().deal_stage_changed(deal=deal, old_stage=old_stage, new_stage=new_stage)


def deal_won(deal) -> None:
    relay().deal_won(deal=deal)


def deal_lost(deal, reason) -> None:
    relay().deal_lost(deal=deal, reason=reason)


def lead_converted(lead, person, deal) -> None:
    relay().lead_converted(lead=lead, person=person, deal=deal)


def activity_reminder(activity) -> None:
    relay().activity_reminder(activity=activity)
