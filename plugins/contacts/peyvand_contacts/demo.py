"""A small Persian/English demo business for `peyvand demo`."""

from .models import Detail, Note, Organization, Person

ORGANIZATIONS = [
    ("بازرگانی نوین پارس", "تهران", "info@novinpars.ir", "+982188776655"),
    ("صنایع غذایی مهرگان", "اصفهان", "sales@mehregan-food.ir", "+983136201234"),
    ("Caspian Logistics", "Rasht", "hello@caspianlog.com", "+981333445566"),
    ("نرم‌افزار آریا", "شیراز", "contact@aryasoft.ir", "+987132221100"),
]
PEOPLE = [
    ("علی", "رضایی", "ali.rezaei@novinpars.ir", "+989121234567", 0, "مدیر خرید", "customer"),
    ("مریم", "احمدی", "m.ahmadi@mehregan-food.ir", "+989351112233", 1, "مدیر عامل", "customer"),
    ("Sara", "Karimi", "sara@caspianlog.com", "+989111234000", 2, "Operations", "lead"),
    ("رضا", "محمدی", "reza.mohammadi@gmail.com", "+989191002030", None, None, "lead"),
    ("نگار", "حسینی", "negar@aryasoft.ir", "+989301234321", 3, "کارشناس فروش", "subscriber"),
    ("John", "Miller", "john.miller@example.com", "+989127770011", None, "Consultant", "lead"),
    ("زهرا", "کاظمی", "z.kazemi@novinpars.ir", "+989122220044", 0, "حسابدار", "customer"),
    ("امیر", "جعفری", "amir.jafari@yahoo.com", "+989159990088", None, None, "former_customer"),
]

# Several numbers, e-mails and addresses for some of them: (kind, type, value or address).
PERSON_DETAILS = {
    0: [("phone", "work", "+982188776601"), ("email", "home", "ali.rezaei@gmail.com")],
    1: [("phone", "work", "+983136201234"), ("phone", "home", "+983132345678")],
    6: [("phone", "work", "+982188776602"),
        ("address", "home", ("خیابان ولیعصر، کوچه نهم، پلاک ۱۲", "تهران", "تهران", "1968913751"))],
}
ORGANIZATION_DETAILS = {
    0: [("phone", "fax", "+982188776656"), ("email", "work", "sales@novinpars.ir"),
        ("address", "shipping", ("جاده مخصوص کرج، کیلومتر ۱۲، انبار ۴", "تهران", "تهران",
                                 "1399813591"))],
    1: [("phone", "fax", "+983136201299")],
}


# Tags on some people (created with the palette's colours) and notes after calls, with a mood.
PERSON_TAGS = {0: ["مشتری ویژه", "تهران"], 1: ["مشتری ویژه"], 2: ["Export"], 6: ["تهران"]}
PERSON_NOTES = {
    0: [("تماس گرفتم؛ پیش‌فاکتور ۲۰ دستگاه را تا شنبه می‌خواهد.", "satisfied"),
        ("از تأخیر ارسال سفارش قبلی گله داشت؛ قول پیگیری دادم.", "unsatisfied")],
    1: [("جلسه حضوری خوب بود؛ برای قرارداد سالانه آماده است.", "happy")],
    2: [("Asked for a quote in euros; call back next week.", "neutral")],
}


def _details(entity: str, record_id: int, items) -> list[dict]:
    rows = []
    for position, (kind, type_, value) in enumerate(items):
        # every row names every column: insert_many takes its columns from the first row
        row = {"entity": entity, "record_id": record_id, "kind": kind, "position": position,
               "type": type_, "value": None, "line": None, "city": None, "province": None,
               "postal_code": None}
        if kind == "address":
            row.update(zip(("line", "city", "province", "postal_code"), value, strict=True))
        else:
            row["value"] = value
        rows.append(row)
    return rows


def load() -> str | None:
    if Person.select().exists():
        return None
    orgs = [Organization.create(name=n, city=c, email=e, phone=p, email_type="work",
                                phone_type="work", address_type="work")
            for n, c, e, p in ORGANIZATIONS]
    details = []
    for index, (first, last, email, phone, org, title, stage) in enumerate(PEOPLE):
        person = Person.create(first_name=first, last_name=last, email=email, phone=phone,
                               organization=orgs[org] if org is not None else None,
                               job_title=title, lifecycle_stage=stage, source="demo",
                               consent_email=True, phone_type="mobile",
                               email_type="work" if org is not None else "home")
        details += _details("person", person.id, PERSON_DETAILS.get(index, ()))
    for index, items in ORGANIZATION_DETAILS.items():
        details += _details("organization", orgs[index].id, items)
    Detail.insert_many(details).execute()
    people = list(Person.select().order_by(Person.id))
    for index, items in PERSON_NOTES.items():
        for body, mood in items:
            Note.create(person=people[index], body=body, mood=mood)
    _tag(people)
    return (f"{len(PEOPLE)} people, {len(ORGANIZATIONS)} organisations, "
            f"{sum(map(len, PERSON_NOTES.values()))} notes")


def _tag(people) -> None:
    """Tags go on through the record service, as a user's would: the kernel creates them."""
    from peyvand_sdk import current_kernel, current_tenant

    service = current_kernel().service("contacts.person", current_tenant())
    for index, names in PERSON_TAGS.items():
        service.update(people[index].id, {"tags": names}, via="demo")
