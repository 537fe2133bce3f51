"""Peyvand CRM kernel.

The kernel finds plugins, decides which may run for each tenant, runs their hooks and keeps
running when one of them fails. It knows no plugin by name: everything a business buys is a
plugin, written against :mod:`peyvand_sdk`.
"""

__version__ = "0.1.0"

#: The plugin API this kernel offers. Plugins state the range they support in their
#: manifest (``kernel_api=">=1.0,<2"``); a plugin outside it is refused at load time.
KERNEL_API = "1.0"
