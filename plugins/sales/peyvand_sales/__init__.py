"""Peyvand sales plugin: leads (سرنخ) and scoring, pipelines (قیف فروش) and deals (معامله),
activities and reminders, forecasting and targets."""
