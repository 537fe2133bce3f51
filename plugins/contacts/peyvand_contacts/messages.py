"""Messages of the lower layers (merging, importing, vCards) that the web pages show in the
viewer's language.

A lower layer raises its error with a :class:`Message`: a stable English template, which is
also a msgid of the plugin's catalogue (marked with :func:`N_`, so the catalogue test finds
it), and its parameters. ``str()`` of the message (and of the error) is the English text the
API and the CLI answer, as before; a page calls :func:`text` (or :func:`error_text` for any
exception) for the viewer's language. Parameters may be plain values (numbers get the
language's digits), a :class:`Term` (a word translated on a page: a field or entity name), a
nested :class:`Message`, or a list of those (joined with ``; `` or ``؛ ``).
"""

from __future__ import annotations


def N_(message: str) -> str:
    """Marks ``message`` for the catalogue; it is translated where it is shown."""
    return message


class Term:
    """A word inside a message: ``text`` in the English message (the API's name, such as
    ``email``), the translation of ``msgid`` (default ``text``) on a page."""

    def __init__(self, text, msgid: str | None = None):
        self.text, self.msgid = str(text), msgid or str(text)

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Term({self.text!r})"


class Message:
    """An English template with ``%(name)s`` placeholders and their values."""

    def __init__(self, msgid: str, **params):
        self.msgid, self.params = msgid, params

    def __str__(self) -> str:
        return self.msgid % {k: _english(v) for k, v in self.params.items()}

    def __repr__(self) -> str:
        return f"Message({str(self)!r})"


class Coded:
    """Mixin for an exception carrying a :class:`Message`: ``exc.message``; ``str(exc)`` is
    its English text."""

    message: Message | None = None

    def __init__(self, message, *args):
        self.message = message if isinstance(message, Message) else None
        super().__init__(str(message), *args)


def _english(value) -> str:
    if isinstance(value, list | tuple):
        return "; ".join(_english(v) for v in value)
    return str(value)


def humanize(name: str) -> str:
    """``first_name`` → ``First name`` (how the generic pages name a field)."""
    text = str(name).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def field_term(name: str) -> Term:
    """A field's name: as it is in English, its label (``First name``) translated on a page."""
    base = str(name).split("[", 1)[0].split(".", 1)[0]
    return Term(name, humanize(base))


def text(message) -> str:
    """``message`` (a :class:`Message`, or anything else as ``str()``) in the viewer's
    language."""
    if not isinstance(message, Message):
        return _lookup(str(message))
    from peyvand_sdk import gettext

    return gettext(message.msgid, **{k: _param(v) for k, v in message.params.items()})


def _lookup(message: str) -> str:
    """A plain message through the catalogues (kernel and plugins), as it is when unknown."""
    from flask import current_app, has_app_context

    if has_app_context() and "error_message" in current_app.jinja_env.filters:
        return current_app.jinja_env.filters["error_message"](message)
    return message


def _param(value):
    if isinstance(value, Message):
        return text(value)
    if isinstance(value, Term):
        from peyvand_sdk import gettext

        return gettext(value.msgid)
    if isinstance(value, list | tuple):
        from peyvand_sdk import current_language

        separator = "؛ " if current_language() == "fa" else "; "
        return separator.join(str(_param(v)) for v in value)
    return value


def errors_text(errors) -> str:
    """``InvalidRecord.errors`` as one line in the viewer's language: ``field: message``."""
    from peyvand_sdk import current_language

    fa = current_language() == "fa"
    if isinstance(errors, dict):
        return ("؛ " if fa else "; ").join(
            f"{_param(field_term(k)) if not str(k).startswith('_') else ''}"
            f"{': ' if not str(k).startswith('_') else ''}{errors_text(v)}"
            for k, v in errors.items())
    if isinstance(errors, list | tuple):
        return ("، " if fa else ", ").join(errors_text(v) for v in errors)
    return text(errors)


def error_text(exc: BaseException) -> str:
    """Any lower-layer error in the viewer's language: its :class:`Message` when it has one,
    an ``InvalidRecord``'s messages one by one, else ``str(exc)`` through the catalogues."""
    message = getattr(exc, "message", None)
    if isinstance(message, Message):
        return text(message)
    errors = getattr(exc, "errors", None)
    if isinstance(errors, dict):
        return errors_text(errors)
    return text(str(exc))
