"""Peyvand sales plugin: pipelines (قیف فروش) and deals (معامله)."""
