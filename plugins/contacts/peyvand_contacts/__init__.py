"""Peyvand contacts plugin: people (اشخاص) and organisations (سازمان‌ها)."""
