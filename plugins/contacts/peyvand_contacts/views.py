"""The contacts plugin in the web workspace.

People and organisations use the kernel's generic pages (list, record, forms, export, print);
this module puts them and the plugin's own pages (:mod:`.pages`: import wizard, vCard import,
duplicates, merges) in the navigation and adds the "likely duplicates" panel to the new-person form.
Field and choice names are translated by the plugin's catalogue,
``translations/fa/LC_MESSAGES/messages.po``.
"""

MENU_ITEMS = [
    {"id": "contacts.people", "label": {"en": "People", "fa": "اشخاص"},
     "url": "/app/contacts/persons", "permission": "contacts.person.read", "order": 10},
    {"id": "contacts.organizations", "label": {"en": "Organisations", "fa": "سازمان‌ها"},
     "url": "/app/contacts/organizations", "permission": "contacts.organization.read",
     "order": 20},
    {"id": "contacts.import", "label": {"en": "Import contacts", "fa": "درون‌ریزی مخاطبین"},
     "url": "/app/contacts/import", "permission": "contacts.person.import", "order": 30},
    {"id": "contacts.vcard_import", "label": {"en": "Import a vCard", "fa": "درون‌ریزی vCard"},
     "url": "/app/contacts/vcard-import", "permission": "contacts.person.create", "order": 35},
    {"id": "contacts.duplicates", "label": {"en": "Duplicates", "fa": "تکراری‌ها"},
     "url": "/app/contacts/duplicates", "permission": "contacts.person.read", "order": 40},
]

FORM_PARTS = [
    {"entity": "contacts.person", "template": "contacts/_duplicate_warning.html",
     "forms": ["create"], "permission": "contacts.person.read"},
]


def menu_items() -> list[dict]:
    return [dict(item) for item in MENU_ITEMS]


def form_parts() -> list[dict]:
    return [dict(part) for part in FORM_PARTS]
