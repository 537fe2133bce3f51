"""Errors the kernel raises for people to read and act on."""


class PeyvandError(Exception):
    """Base class; ``str(error)`` is a message for the user."""


class PluginError(PeyvandError):
    """A plugin could not change state: unknown, failed, missing dependency, has dependents…"""


class MigrationFailed(PeyvandError):
    """A migration step failed; the step was rolled back and earlier steps stay applied."""

    def __init__(self, plugin: str, step: str, cause: BaseException):
        self.plugin, self.step, self.cause = plugin, step, cause
        super().__init__(
            f"plugin {plugin!r}: migration step {step!r} failed and was rolled back "
            f"({type(cause).__name__}: {cause}). Earlier steps stay applied; fix the cause and "
            f"run `peyvand db upgrade` again."
        )


class Veto(PeyvandError):
    """Raised by a ``before_*`` hook to refuse an operation.

    ``field`` names the field at fault when there is one, so the API can answer
    ``{"errors": {field: [message]}}``.
    """

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field
