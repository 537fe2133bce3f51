"""Small hand-written name and word lists used by ``bench.datagen``.

Persian entries are ``(persian_script, latin_transliteration)`` pairs; the transliteration
is only used to build plausible e-mail addresses and domains.
"""

PERSIAN_GIVEN = (
    ("علی", "ali"), ("محمد", "mohammad"), ("حسین", "hossein"), ("رضا", "reza"),
    ("مهدی", "mehdi"), ("امیر", "amir"), ("حسن", "hassan"), ("مصطفی", "mostafa"),
    ("سعید", "saeed"), ("حمید", "hamid"), ("مجید", "majid"), ("جواد", "javad"),
    ("احمد", "ahmad"), ("علیرضا", "alireza"), ("محمدرضا", "mohammadreza"),
    ("امیرحسین", "amirhossein"), ("ابوالفضل", "abolfazl"), ("کاظم", "kazem"),
    ("بهرام", "bahram"), ("داریوش", "dariush"), ("کوروش", "kourosh"), ("بابک", "babak"),
    ("پیمان", "peyman"), ("فرهاد", "farhad"), ("سیاوش", "siavash"), ("آرش", "arash"),
    ("نیما", "nima"), ("پویا", "pouya"), ("سینا", "sina"), ("کامران", "kamran"),
    ("میلاد", "milad"), ("مهران", "mehran"), ("شهرام", "shahram"), ("ایمان", "iman"),
    ("هادی", "hadi"), ("وحید", "vahid"), ("فاطمه", "fatemeh"), ("زهرا", "zahra"),
    ("مریم", "maryam"), ("زینب", "zeinab"), ("معصومه", "masoumeh"), ("سارا", "sara"),
    ("نرگس", "narges"), ("الهام", "elham"), ("لیلا", "leila"), ("مینا", "mina"),
    ("شیرین", "shirin"), ("پریسا", "parisa"), ("نازنین", "nazanin"), ("هانیه", "hanieh"),
    ("ریحانه", "reyhaneh"), ("محدثه", "mohadeseh"), ("سمیرا", "samira"),
    ("نسرین", "nasrin"), ("آزاده", "azadeh"), ("یاسمن", "yasaman"), ("ستاره", "setareh"),
    ("نگار", "negar"), ("مهسا", "mahsa"), ("هستی", "hasti"), ("بهاره", "bahareh"),
    ("فرزانه", "farzaneh"), ("پروانه", "parvaneh"),
)

PERSIAN_FAMILY = (
    ("رضایی", "rezaei"), ("محمدی", "mohammadi"), ("حسینی", "hosseini"), ("احمدی", "ahmadi"),
    ("کریمی", "karimi"), ("موسوی", "mousavi"), ("جعفری", "jafari"), ("صادقی", "sadeghi"),
    ("رحیمی", "rahimi"), ("کاظمی", "kazemi"), ("هاشمی", "hashemi"), ("قاسمی", "ghasemi"),
    ("حیدری", "heydari"), ("نوری", "nouri"), ("اکبری", "akbari"), ("عباسی", "abbasi"),
    ("یوسفی", "yousefi"), ("ابراهیمی", "ebrahimi"), ("مرادی", "moradi"), ("کرمی", "karami"),
    ("نجفی", "najafi"), ("سلیمانی", "soleimani"), ("طاهری", "taheri"), ("زارعی", "zarei"),
    ("شریفی", "sharifi"), ("امینی", "amini"), ("باقری", "bagheri"), ("اسدی", "asadi"),
    ("خسروی", "khosravi"), ("فرهادی", "farhadi"), ("جمالی", "jamali"), ("تهرانی", "tehrani"),
    ("شیرازی", "shirazi"), ("اصفهانی", "esfahani"), ("تبریزی", "tabrizi"),
    ("کرمانی", "kermani"), ("قربانی", "ghorbani"), ("صالحی", "salehi"), ("نظری", "nazari"),
    ("بهرامی", "bahrami"), ("فتحی", "fathi"), ("یزدانی", "yazdani"), ("منصوری", "mansouri"),
    ("سبحانی", "sobhani"), ("پورمحمدی", "pourmohammadi"), ("علیزاده", "alizadeh"),
    ("حسن\u200cزاده", "hassanzadeh"), ("تقی\u200cزاده", "taghizadeh"), ("رستمی", "rostami"),
    ("میرزایی", "mirzaei"), ("دهقان", "dehghan"), ("کیانی", "kiani"), ("ملکی", "maleki"),
    ("فراهانی", "farahani"), ("شاکری", "shakeri"), ("زمانی", "zamani"), ("آقایی", "aghaei"),
    ("اسماعیلی", "esmaili"), ("نیک\u200cنام", "niknam"), ("میرزاخانی", "mirzakhani"),
)

ENGLISH_GIVEN = (
    "James", "John", "Robert", "Michael", "William", "David", "Richard", "Joseph",
    "Thomas", "Charles", "Daniel", "Matthew", "Anthony", "Mark", "Paul", "Steven",
    "Andrew", "Joshua", "Kevin", "Brian", "George", "Edward", "Ryan", "Jacob", "Nicholas",
    "Eric", "Jonathan", "Stephen", "Oliver", "Henry", "Mary", "Patricia", "Jennifer",
    "Linda", "Elizabeth", "Barbara", "Susan", "Jessica", "Sarah", "Karen", "Nancy",
    "Lisa", "Margaret", "Sandra", "Ashley", "Emily", "Donna", "Michelle", "Carol",
    "Amanda", "Melissa", "Rebecca", "Laura", "Sharon", "Kathleen", "Amy", "Olivia",
    "Emma", "Sophia", "Hannah", "Chloe", "Grace",
)

ENGLISH_FAMILY = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
    "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson",
    "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White",
    "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young",
    "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green",
    "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter",
    "Roberts", "Evans", "Turner", "Phillips", "Parker", "Collins", "Edwards", "Stewart",
    "Morris", "Murphy", "Cook", "O'Brien", "Fitzgerald",
)

# Organisation name parts.
PERSIAN_ORG_PREFIX = ("شرکت", "گروه صنعتی", "بازرگانی", "هلدینگ", "مؤسسه", "تولیدی", "")
PERSIAN_ORG_CORE = (
    ("پارس", "pars"), ("آریا", "arya"), ("سپهر", "sepehr"), ("نوین", "novin"),
    ("البرز", "alborz"), ("دماوند", "damavand"), ("کاوه", "kaveh"), ("مهر", "mehr"),
    ("آسمان", "aseman"), ("زاگرس", "zagros"), ("خلیج فارس", "khalijfars"),
    ("ایرانیان", "iranian"), ("پیشگامان", "pishgaman"), ("نیک", "nik"),
    ("راهبرد", "rahbord"), ("ستاره", "setareh"), ("فناوران", "fanavaran"),
    ("هوشمند", "hooshmand"),
)
PERSIAN_ORG_SUFFIX = (
    ("تجارت", "tejarat"), ("صنعت", "sanat"), ("داده", "dadeh"), ("الکترونیک", "electronic"),
    ("سازه", "sazeh"), ("پخش", "pakhsh"), ("شیمی", "shimi"), ("طب", "teb"),
    ("آنلاین", "online"),
)
ENGLISH_ORG_CORE = (
    "Blue", "North", "Atlas", "Summit", "Bright", "Silver", "Pioneer", "Delta", "Apex",
    "Vertex", "Harbor", "Crescent", "Cedar", "Falcon", "Orion", "Granite",
)
ENGLISH_ORG_SUFFIX = (
    "Systems", "Logistics", "Foods", "Energy", "Labs", "Trading", "Capital", "Media",
    "Health", "Motors",
)
ENGLISH_ORG_FORM = ("Ltd", "Inc", "LLC", "Co.", "GmbH", "Group")

# (domain, weight) for personal e-mail addresses.
MAIL_DOMAINS = (
    ("gmail.com", 45), ("yahoo.com", 15), ("outlook.com", 8), ("hotmail.com", 7),
    ("chmail.ir", 8), ("protonmail.com", 2), ("icloud.com", 3), ("live.com", 2),
)

# Iranian mobile operator prefixes (the three digits after the leading 0).
MOBILE_PREFIXES = (
    "910", "911", "912", "913", "914", "915", "916", "917", "918", "919", "990", "991",
    "992", "993", "901", "902", "903", "905", "930", "933", "935", "936", "937", "938",
    "939", "920", "921", "922",
)

DEAL_PRODUCTS = (
    "قرارداد پشتیبانی سالانه", "لایسنس نرم‌افزار", "Annual support contract",
    "Software licence", "تامین قطعات", "Consulting package", "پروژه استقرار",
    "Hardware supply", "خدمات آموزش", "Cloud hosting",
)

ACTIVITY_SUBJECTS = {
    "call": ("تماس پیگیری", "Follow-up call", "تماس اولیه", "Intro call"),
    "meeting": ("جلسه معرفی محصول", "Product demo", "جلسه مذاکره", "Kick-off meeting"),
    "email": ("ارسال پیش‌فاکتور", "Send quote", "ارسال کاتالوگ", "Send contract draft"),
    "task": ("تهیه پیشنهاد قیمت", "Prepare proposal", "بررسی نیازها", "Update CRM record"),
}

NOTE_FRAGMENTS = (
    "مشتری درخواست تخفیف ده درصدی داشت.",
    "قرار شد هفته آینده دوباره تماس بگیریم.",
    "پیش‌فاکتور برای واحد مالی ارسال شد.",
    "مدیرعامل شرکت در جلسه حضور داشت.",
    "نیاز به نسخه آزمایشی سی روزه دارند.",
    "پرداخت به صورت چکی و در سه قسط انجام می‌شود.",
    "Customer asked for a discount on the second year.",
    "Decision expected after the board meeting.",
    "Sent the updated price list by email.",
    "They are comparing us with two other vendors.",
    "Technical contact is on leave until next month.",
    "Interested in the Persian-language reporting module.",
)
