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
    ``{"errors": {field: [message]}}``. To refuse several fields at once (every bad field of a
    form, not only the first), pass ``errors={field: [message, ...]}`` instead: the API then
    answers with all of them (``message`` is a summary; ``field`` is the first key).
    """

    def __init__(self, message: str = "", field: str | None = None,
                 errors: dict[str, list[str]] | None = None):
        self.errors = {k: list(v) if isinstance(v, list | tuple) else [str(v)]
                       for k, v in (errors or {}).items()}
        if not message and self.errors:
            message = "; ".join(f"{k}: {' '.join(v)}" for k, v in self.errors.items())
        super().__init__(message)
        self.field = field if field is not None or not self.errors else next(iter(self.errors))
