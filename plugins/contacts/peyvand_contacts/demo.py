"""A small Persian/English demo business for `peyvand demo`."""

from .models import Organization, Person

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


def load() -> str | None:
    if Person.select().exists():
        return None
    orgs = [Organization.create(name=n, city=c, email=e, phone=p)
            for n, c, e, p in ORGANIZATIONS]
    for first, last, email, phone, org, title, stage in PEOPLE:
        Person.create(first_name=first, last_name=last, email=email, phone=phone,
                      organization=orgs[org] if org is not None else None, job_title=title,
                      lifecycle_stage=stage, source="demo", consent_email=True)
    return f"{len(PEOPLE)} people, {len(ORGANIZATIONS)} organisations"
