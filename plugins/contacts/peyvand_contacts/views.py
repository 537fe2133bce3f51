"""The contacts plugin in the web workspace.

People and organisations use the kernel's generic pages (list, record, forms, export, print);
this module only puts them in the navigation. Field and choice names are translated by the
plugin's catalogue, ``translations/fa/LC_MESSAGES/messages.po``.
"""

MENU_ITEMS = [
    {"id": "contacts.people", "label": {"en": "People", "fa": "اشخاص"},
     "url": "/app/contacts/persons", "permission": "contacts.person.read", "order": 10},
    {"id": "contacts.organizations", "label": {"en": "Organisations", "fa": "سازمان‌ها"},
     "url": "/app/contacts/organizations", "permission": "contacts.organization.read",
     "order": 20},
]


def menu_items() -> list[dict]:
    return [dict(item) for item in MENU_ITEMS]
