"""In-process lifecycle signals (blinker), kebab-case names.

Receivers run synchronously in the sender's process; use them for cache invalidation and
similar in-memory reactions, never for work that must survive a crash.
"""

from blinker import Namespace

_signals = Namespace()

#: Sent with ``sender=<plugin name>``, ``tenant=<tenant>`` after a plugin was enabled.
plugin_enabled = _signals.signal("plugin-enabled")
#: Sent with ``sender=<plugin name>``, ``tenant=<tenant>`` after a plugin was disabled.
plugin_disabled = _signals.signal("plugin-disabled")
#: Sent with ``sender=<plugin name>``, ``tenant=<tenant>``, ``tables=[...]`` after a purge.
plugin_purged = _signals.signal("plugin-purged")
