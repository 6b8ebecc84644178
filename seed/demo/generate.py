#!/usr/bin/env python3
"""Generate the deterministic demo roster for securebase.

Fictional district: Maple Valley Unified School District (three schools).
Python 3 standard library only. Uses a fixed random seed, so running

    python3 seed/demo/generate.py

rewrites byte-identical CSV files next to this script. All people are fictional.
"""

import csv
import os
import random
import re
import unicodedata

SEED = 20261127
OUT_DIR = os.path.dirname(os.path.abspath(__file__))
EMAIL_DOMAIN = "maplevalley.example.org"
DEMO_PASSWORD = "GrowTogether-2026"
CURRENT_TERM = "2026-27-fall"
PREVIOUS_TERM = "2025-26-spring"

DISTRICT_NAME = "Maple Valley Unified School District"

# (key, name, low_grade, high_grade, class-key prefix, students per grade)
SCHOOLS = [
    ("cedar-grove-es", "Cedar Grove Elementary School", 0, 5, "cg", 20),
    ("riverbend-ms", "Riverbend Middle School", 6, 8, "rb", 30),
    ("lakeview-hs", "Lakeview High School", 9, 12, "lv", 25),
]

TERMS = [
    ("2025-26-spring", "Spring 2026", "2026-01-05", "2026-06-05"),
    ("2026-27-fall", "Fall 2026", "2026-08-17", "2026-12-18"),
    ("2026-27-spring", "Spring 2027", "2027-01-05", "2027-06-04"),
]

# Staff are hand-picked. Tuples: (role, school key or "", given, family, tag).
# The tag identifies a teacher's assignment below.
STAFF = [
    ("district_admin", "", "Denise", "Whitfield", None),
    ("district_admin", "", "Rahul", "Mehta", None),
    # Cedar Grove Elementary School
    ("school_admin", "cedar-grove-es", "Patricia", "Alvarez", None),
    ("counselor", "cedar-grove-es", "Kenji", "Watanabe", None),
    ("teacher", "cedar-grove-es", "Elena", "Rivera", "grade-0"),
    ("teacher", "cedar-grove-es", "Thomas", "Becker", "grade-1"),
    ("teacher", "cedar-grove-es", "Chiamaka", "Okafor", "grade-2"),
    ("teacher", "cedar-grove-es", "Laura", "Nguyen", "grade-3"),
    ("teacher", "cedar-grove-es", "David", "Goldstein", "grade-4"),
    ("teacher", "cedar-grove-es", "Keisha", "Brooks", "grade-5"),
    # Riverbend Middle School
    ("school_admin", "riverbend-ms", "Gregory", "Tan", None),
    ("counselor", "riverbend-ms", "Daniel", "Kim", None),
    ("teacher", "riverbend-ms", "Samuel", "Ortega", "health"),
    ("teacher", "riverbend-ms", "Hannah", "Lindqvist", "advisory-6"),
    ("teacher", "riverbend-ms", "Jamal", "Carter", "advisory-7"),
    ("teacher", "riverbend-ms", "Anjali", "Rao", "advisory-8"),
    ("teacher", "riverbend-ms", "Michael", "O'Brien", "co-advisory-6a"),
    # Lakeview High School
    ("school_admin", "lakeview-hs", "Sandra", "Kowalczyk", None),
    ("counselor", "lakeview-hs", "Luis", "Navarro", None),
    ("teacher", "lakeview-hs", "Rebecca", "Stein", "advisory-9"),
    ("teacher", "lakeview-hs", "Kwabena", "Asante", "advisory-10"),
    ("teacher", "lakeview-hs", "Mei-Ling", "Zhou", "advisory-11"),
    ("teacher", "lakeview-hs", "Fatima", "Haddad", "advisory-12"),
    # Same name as the Riverbend counselor: exercises the username collision rule.
    ("teacher", "lakeview-hs", "Daniel", "Kim", "peer-leadership"),
]

# Student name pools (fictional combinations; a few accented spellings on purpose).
STUDENT_GIVEN = """
Ava Liam Mateo Sofía Aaliyah Noah Priya Ethan Mei Jayden Amara Lucas Zara Elijah
Camila Arjun Chloe Diego Hana Isaiah Layla Omar Maya Kai Nia Santiago Aisha Owen
Valentina Rohan Grace Malik Yuna Levi Imani Gabriel Leilani Hassan Emma Xavier
Fatima Caleb Ximena Jin Olivia Andre Ananya Henry Lucia Tariq Harper Minh Jasmine
Elias Naomi Dev Isabella Kofi Ruby Luis Mia Yusuf Abigail Jamal Nora Haruto Lily
Darius Ingrid Elena Tomas Makoa Zoe Samuel Amina Felix Aria Marcus Esperanza Wyatt
Ezra Anaya Adrian Farah Jonah Paloma Tenzin Stella Kwame Iris Emilio Sienna Ravi
Audrey Dmitri Lena Bashir Clara Joaquín Penelope Ibrahim Hazel Nikhil Serena
Violet Andres Keira Sami Eleanor Julian Saanvi Miles Rosa Mason Adaeze Theo Luz
Bryce Aurora Hamza Eva Declan Alana Jorge Ivy Cyrus Nadia Finn Rafael Quinn Aditya
Esme Malia Carter Jae Bianca Wesley Ayla José Chidi Anika Beckett Yara
""".split()

STUDENT_FAMILY = [
    "Rivera", "Nguyen", "Patel", "Kim", "Johnson", "Garcia", "Martinez", "Chen",
    "Williams", "Hernandez", "Brown", "Davis", "Lopez", "Wilson", "Anderson",
    "Thomas", "Taylor", "Moore", "Jackson", "Lee", "Thompson", "Harris",
    "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young",
    "Allen", "King", "Wright", "Scott", "Torres", "Hill", "Flores", "Green",
    "Adams", "Nelson", "Baker", "Hall", "Campbell", "Mitchell", "Roberts",
    "Phillips", "Evans", "Turner", "Diaz", "Parker", "Cruz", "Edwards",
    "Collins", "Reyes", "Stewart", "Morris", "Morales", "Murphy", "Cook",
    "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper", "Peterson", "Bailey",
    "Reed", "Kelly", "Howard", "Ramos", "Ward", "Richardson", "Watson",
    "Chavez", "Wood", "James", "Bennett", "Gray", "Mendoza", "Ruiz", "Hughes",
    "Price", "Castillo", "Sanders", "Myers", "Ross", "Foster", "Jimenez",
    "Wang", "Zhang", "Liu", "Huang", "Tran", "Pham", "Park", "Choi",
    "Yamamoto", "Tanaka", "Sato", "Shah", "Singh", "Gupta", "Desai", "Iyer",
    "Rahman", "Ali", "Khalil", "Nasser", "Mensah", "Adeyemi", "Okonkwo",
    "Mwangi", "Diallo", "Kowalski", "Novak", "Petrov", "Schmidt", "Rossi",
    "Romano", "Silva", "Santos", "Costa", "Oliveira", "O'Connor", "Sullivan",
    "Larsen", "Nilsson", "Begay", "Yazzie", "Kealoha", "Fonoti", "Cohen",
    "Levy", "Friedman", "Peña", "Núñez", "Castro", "Vargas", "Herrera",
    "Medina", "Aguilar", "Delgado", "Hoang", "Vu", "Bui", "Yilmaz", "Demir",
    "Karimi", "Hosseini", "Ahmadi", "Abdi", "Osman", "Haile", "Tesfaye",
    "Bekele", "Fernandes", "Dela Cruz", "Bautista", "Villanueva", "Ng",
    "Wong", "Chow", "Ito", "Nakamura", "Hernandez-Lopez", "Whitehorse",
]

# Combinations that would name a well-known real (or famous fictional) person.
FAMOUS = {
    ("Grace", "Kelly"), ("Emma", "Watson"), ("Serena", "Williams"),
    ("Owen", "Wilson"), ("Harper", "Lee"), ("Miles", "Davis"),
    ("Adrian", "Peterson"), ("Isaiah", "Thomas"), ("Samuel", "Jackson"),
    ("Eva", "Green"), ("Lily", "James"), ("Lily", "Allen"), ("Jonah", "Hill"),
    ("Kwame", "Brown"), ("Elijah", "Wood"), ("Penelope", "Cruz"),
    ("Miles", "Morales"), ("Theo", "James"), ("Dev", "Patel"),
    ("Naomi", "Campbell"), ("Naomi", "Scott"), ("Jorge", "Ramos"),
    ("Emma", "Roberts"), ("Andre", "Johnson"), ("Emma", "Stone"),
    ("Ruby", "Rose"), ("Henry", "Ford"), ("Luis", "Garcia"),
    ("Carter", "Williams"), ("Marcus", "Thomas"), ("Caleb", "Williams"),
    ("Jamal", "Adams"), ("Tariq", "Ali"), ("Mason", "Reed"),
}


def ascii_letters(text):
    """Lowercase ASCII with accents stripped; keeps only [a-z0-9.-]."""
    norm = unicodedata.normalize("NFKD", text)
    norm = norm.encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9.-]", "", norm)


def write_csv(name, header, rows):
    path = os.path.join(OUT_DIR, name)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])
    return len(rows)


def grade_label(grade):
    return "Kindergarten" if grade == 0 else "Grade %d" % grade


def main():
    rng = random.Random(SEED)
    taken = set()  # all usernames district-wide

    # ---- staff -------------------------------------------------------------
    users = []  # dicts
    staff_by_tag = {}  # (school, tag) -> [username, ...]
    for role, school, given, family, tag in STAFF:
        base = "%s.%s" % (ascii_letters(given), ascii_letters(family))
        username, n = base, 1
        while username in taken:
            n += 1
            username = "%s%d" % (base, n)
        taken.add(username)
        users.append(dict(username=username, role=role, school=school, grade=None,
                          given=given, family=family,
                          email="%s@%s" % (username, EMAIL_DOMAIN)))
        if tag:
            staff_by_tag.setdefault((school, tag), []).append(username)

    # ---- students ----------------------------------------------------------
    students = {}  # (school, grade) -> [user dict] sorted by family, given
    for key, _name, low, high, _prefix, per_grade in SCHOOLS:
        used_pairs = {(u["given"], u["family"]) for u in users if u["school"] == key}
        for grade in range(low, high + 1):
            cohort = []
            while len(cohort) < per_grade:
                given = rng.choice(STUDENT_GIVEN)
                family = rng.choice(STUDENT_FAMILY)
                if (given, family) in used_pairs or (given, family) in FAMOUS:
                    continue
                prefix = ascii_letters(given).replace("-", "").replace(".", "") + ascii_letters(family)[0]
                while True:
                    username = "%s%03d" % (prefix, rng.randint(100, 999))
                    if username not in taken:
                        break
                used_pairs.add((given, family))
                taken.add(username)
                cohort.append(dict(username=username, role="student", school=key,
                                   grade=grade, given=given, family=family, email=""))
            cohort.sort(key=lambda u: (ascii_letters(u["family"]), ascii_letters(u["given"]), u["username"]))
            students[(key, grade)] = cohort

    # ---- classes & enrollments -------------------------------------------
    classes = []  # dicts: key, school, term, name, grade, teachers(list), students(list)

    def add_class(key, school, term, name, grade, teachers, members):
        classes.append(dict(key=key, school=school, term=term, name=name, grade=grade,
                            teachers=list(teachers),
                            students=sorted(u["username"] for u in members)))

    def family_of(username):
        return next(u["family"] for u in users if u["username"] == username)

    # Cedar Grove: one homeroom per grade, whole grade enrolled.
    school = "cedar-grove-es"
    for grade in range(0, 6):
        t = staff_by_tag[(school, "grade-%d" % grade)]
        add_class("cg-homeroom-%d" % grade, school, CURRENT_TERM,
                  "%s Homeroom - %s" % (grade_label(grade), family_of(t[0])),
                  grade, t, students[(school, grade)])

    # Riverbend: advisories A/B (alphabetical halves) + Health & Wellness per grade.
    school = "riverbend-ms"
    health = staff_by_tag[(school, "health")]
    co_teacher = staff_by_tag[(school, "co-advisory-6a")]
    for grade in range(6, 9):
        cohort = students[(school, grade)]
        half = len(cohort) // 2
        adv = staff_by_tag[(school, "advisory-%d" % grade)]
        add_class("rb-advisory-%da" % grade, school, CURRENT_TERM, "Advisory %dA" % grade,
                  grade, adv + (co_teacher if grade == 6 else []), cohort[:half])
        add_class("rb-advisory-%db" % grade, school, CURRENT_TERM, "Advisory %dB" % grade,
                  grade, adv, cohort[half:])
        add_class("rb-health-%d" % grade, school, CURRENT_TERM, "Health & Wellness %d" % grade,
                  grade, health, cohort)

    # Lakeview: one advisory per grade + mixed-grade Peer Leadership (11-12).
    school = "lakeview-hs"
    for grade in range(9, 13):
        add_class("lv-advisory-%d" % grade, school, CURRENT_TERM, "Advisory %d" % grade,
                  grade, staff_by_tag[(school, "advisory-%d" % grade)],
                  students[(school, grade)])
    peer = rng.sample(students[(school, 11)], 8) + rng.sample(students[(school, 12)], 8)
    add_class("lv-peer-leadership", school, CURRENT_TERM, "Peer Leadership", None,
              staff_by_tag[(school, "peer-leadership")], peer)

    # Previous term (Spring 2026): one class per school with 15 students, so history exists.
    # Note: enrolled students carry their *current* grade (users.csv has one grade per
    # student), so the class grade matches the students' current grade.
    prev = [
        ("cedar-grove-es", "cg-homeroom-4-sp26", "Grade 4 Homeroom (Spring 2026)", 4, "grade-4"),
        ("riverbend-ms", "rb-health-7-sp26", "Health & Wellness 7 (Spring 2026)", 7, "health"),
        ("lakeview-hs", "lv-advisory-10-sp26", "Advisory 10 (Spring 2026)", 10, "advisory-10"),
    ]
    for school, key, name, grade, tag in prev:
        add_class(key, school, PREVIOUS_TERM, name, grade, staff_by_tag[(school, tag)],
                  rng.sample(students[(school, grade)], 15))

    # ---- demo logins -----------------------------------------------------
    # Demo teacher: teaches a current-term class *and* the previous-term class.
    # Demo student: enrolled in that teacher's current class and in the history class.
    by_key = {c["key"]: c for c in classes}
    user_by_name = {u["username"]: u for u in users}
    for cohort in students.values():
        for u in cohort:
            user_by_name[u["username"]] = u
    demo = [("cedar-grove-es", "cg-homeroom-4", "cg-homeroom-4-sp26"),
            ("riverbend-ms", "rb-health-7", "rb-health-7-sp26"),
            ("lakeview-hs", "lv-advisory-10", "lv-advisory-10-sp26")]
    logins = [("district_admin", users[0]["username"], DEMO_PASSWORD, "")]
    school_names = {s[0]: s[1] for s in SCHOOLS}
    for school, current_key, prev_key in demo:
        admin = next(u for u in users if u["school"] == school and u["role"] == "school_admin")
        counselor = next(u for u in users if u["school"] == school and u["role"] == "counselor")
        teacher = by_key[current_key]["teachers"][0]
        both = sorted(set(by_key[current_key]["students"]) & set(by_key[prev_key]["students"]))
        student = both[0]
        sname = school_names[school]
        logins += [
            ("school_admin", admin["username"], DEMO_PASSWORD, sname),
            ("counselor", counselor["username"], DEMO_PASSWORD, sname),
            ("teacher", teacher, DEMO_PASSWORD, sname),
            ("student", student, DEMO_PASSWORD, sname),
        ]

    # ---- write -----------------------------------------------------------
    all_users = [u for u in users if u["role"] == "district_admin"]
    for key, _name, low, high, _p, _n in SCHOOLS:
        all_users += [u for u in users if u["school"] == key]
        for grade in range(low, high + 1):
            all_users += students[(key, grade)]

    write_csv("district.csv", ["name"], [[DISTRICT_NAME]])
    write_csv("schools.csv", ["key", "name", "low_grade", "high_grade"],
              [[k, n, lo, hi] for k, n, lo, hi, _p, _c in SCHOOLS])
    write_csv("terms.csv", ["key", "name", "starts_on", "ends_on"], [list(t) for t in TERMS])
    write_csv("users.csv",
              ["username", "role", "school", "grade", "given_name", "family_name", "email"],
              [[u["username"], u["role"], u["school"], u["grade"], u["given"], u["family"],
                u["email"]] for u in all_users])
    write_csv("classes.csv", ["key", "school", "term", "name", "grade", "teachers"],
              [[c["key"], c["school"], c["term"], c["name"], c["grade"], " ".join(c["teachers"])]
               for c in classes])
    write_csv("enrollments.csv", ["class", "student"],
              [[c["key"], s] for c in classes for s in c["students"]])
    write_csv("logins.csv", ["role", "username", "password", "school"], logins)


if __name__ == "__main__":
    main()
