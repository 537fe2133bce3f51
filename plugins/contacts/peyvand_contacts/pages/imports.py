"""The import wizard (filled in below)."""


def register(bp) -> None:
    return None
