#!/usr/bin/env python3
"""Generate a large, deterministic OneRoster 1.1 CSV bundle (bulk) to use as benchmark input.

    python3 benches/oneroster_bundle.py OUT_DIR [--users 100000] [--classes 4000]
        [--enrollments 400000] [--schools 40] [--seed 1] [--change-fraction 0.0] [--zip OUT.zip]

The script writes manifest.csv, orgs.csv, academicSessions.csv, courses.csv, classes.csv,
users.csv and enrollments.csv to OUT_DIR. They use the OneRoster 1.1 column order, UTF-8 without
a BOM and LF line endings. The bundle has:

- one district and --schools schools, one school year and one term under it;
- exactly --users users: about 0.5% administrators and 4% teachers, assigned to schools in
  turn, and the rest students in grades 06..12, each at a random school;
- exactly --classes classes, assigned to schools in turn, each with a grade, the term, and its
  own course ("Course N");
- exactly --enrollments enrollments: one primary teacher per class (a teacher of its school).
  The rest are student enrollments spread evenly over the students. Each student's classes are
  distinct classes of the student's school, chosen first among the classes of the student's
  grade. No (class, user) pair appears twice.

The same arguments always give the same bytes. --change-fraction F generates the same bundle
and then changes about F of the rows:
- users: a different familyName, or a different grade for some students;
- classes: a different title;
- enrollments: a student enrollment moves to another class of the same school that the student
  is not already in, and keeps its sourcedId.
Row counts and sourcedIds do not change, so the result models a re-import in which 1% of the
rows changed. The changes come from a separate random stream, so the unchanged rows are
byte-identical to the base bundle.

Python 3.11 standard library only. Rows are streamed to the files.
"""

import argparse
import csv
import os
import random
import shutil
import sys
import time
import zipfile

HEADERS = {
    "orgs.csv": "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId",
    "academicSessions.csv": "sourcedId,status,dateLastModified,title,type,startDate,endDate,"
    "parentSourcedId,schoolYear",
    "courses.csv": "sourcedId,status,dateLastModified,schoolYearSourcedId,title,courseCode,grades,"
    "orgSourcedId,subjects,subjectCodes",
    "classes.csv": "sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,"
    "classType,location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods",
    "users.csv": "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,"
    "userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,"
    "password",
    "enrollments.csv": "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,"
    "userSourcedId,role,primary,beginDate,endDate",
}
FILES = ["manifest.csv", *HEADERS]
MANIFEST = [
    ("manifest.version", "1.0"),
    ("oneroster.version", "1.1"),
    ("file.academicSessions", "bulk"),
    ("file.categories", "absent"),
    ("file.classes", "bulk"),
    ("file.classResources", "absent"),
    ("file.courses", "bulk"),
    ("file.courseResources", "absent"),
    ("file.demographics", "absent"),
    ("file.enrollments", "bulk"),
    ("file.lineItems", "absent"),
    ("file.orgs", "bulk"),
    ("file.resources", "absent"),
    ("file.results", "absent"),
    ("file.users", "bulk"),
    ("source.systemName", "securebase benchmark generator"),
    ("source.systemCode", "securebase-bench"),
]

GIVEN = ["Aiden", "Amara", "Ana", "Arjun", "Ava", "Carlos", "Chloe", "Daniel", "Elena", "Emma",
         "Fatima", "Grace", "Hana", "Ibrahim", "Isabella", "Jamal", "Ji-woo", "Kwame", "Leila",
         "Liam", "Lucas", "Maya", "Mei", "Mohammed", "Noah", "Olivia", "Priya", "Ravi", "Sofia",
         "Tariq", "Yuki", "Zoë"]
FAMILY = ["Adeyemi", "Ahmed", "Bauer", "Castillo", "Chen", "Cohen", "Demir", "Dubois", "Garcia",
          "Haddad", "Ivanova", "Johnson", "Kim", "Kowalski", "Mensah", "Miller", "Nguyen",
          "Novak", "O'Connor", "Okafor", "Patel", "Rossi", "Sato", "Schmidt", "Silva", "Singh",
          "Smith", "Tanaka", "Torres", "Walker", "Williams", "Yilmaz"]
SUBJECTS = ["Advisory", "English", "Math", "Science", "Social Studies", "Health", "Art"]
GRADES = ["06", "07", "08", "09", "10", "11", "12"]
YEAR_ID, TERM_ID, DISTRICT_ID = "as-gen-2027", "as-gen-fall-2026", "org-gen-district"
BEGIN, END = "2026-08-17", "2027-01-22"
EMAIL_DOMAIN = "bench.k12.example"


def ident(prefix, i, width):
    return f"{prefix}{i:0{width}d}"


class Writer:
    """A CSV file written row by row."""

    def __init__(self, out_dir, name):
        self.file = open(os.path.join(out_dir, name), "w", encoding="utf-8", newline="")
        self.csv = csv.writer(self.file, lineterminator="\n")
        self.rows = 0
        if name in HEADERS:
            self.csv.writerow(HEADERS[name].split(","))

    def row(self, *fields):
        self.csv.writerow(fields)
        self.rows += 1

    def close(self):
        self.file.close()


def split_roles(users):
    admins = round(users * 0.005)
    teachers = round(users * 0.04)
    return admins, teachers, users - admins - teachers


def enrollment_levels(caps, total):
    """How many classes each student takes: an even share, never more than the student's school
    has (caps[i]). Returns (level, remainder): each student takes min(level, cap), and `remainder`
    students whose cap is above the level take one more."""
    counts = {}
    for c in caps:
        counts[c] = counts.get(c, 0) + 1
    level = 0
    while True:
        nxt = sum(n * min(level + 1, c) for c, n in counts.items())
        if nxt > total:
            break
        level += 1
        if all(c <= level for c in counts):
            break
    used = sum(n * min(level, c) for c, n in counts.items())
    return level, total - used


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--users", type=int, default=100_000)
    ap.add_argument("--classes", type=int, default=4_000)
    ap.add_argument("--enrollments", type=int, default=400_000)
    ap.add_argument("--schools", type=int, default=40)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--change-fraction", type=float, default=0.0)
    ap.add_argument("--zip", metavar="OUT.zip")
    a = ap.parse_args()
    started = time.monotonic()

    n_admins, n_teachers, n_students = split_roles(a.users)
    if a.schools < 1 or a.classes < 1:
        sys.exit("--schools and --classes must be at least 1")
    if n_students < 1 or n_teachers < min(a.schools, a.classes):
        sys.exit(f"--users {a.users} gives {n_teachers} teachers: every school with classes needs "
                 f"one, so use more users or fewer schools")
    if not 0.0 <= a.change_fraction <= 1.0:
        sys.exit("--change-fraction must be between 0 and 1")
    student_enrollments = a.enrollments - a.classes
    if student_enrollments < 0:
        sys.exit("--enrollments must be at least --classes (one primary teacher per class)")

    rng = random.Random(a.seed)          # the base bundle
    crng = random.Random(a.seed * 7919 + 104729)  # the changes only
    frac = a.change_fraction
    width = max(6, len(str(max(a.users, a.classes, a.enrollments))))
    swidth = max(3, len(str(a.schools)))
    os.makedirs(a.out_dir, exist_ok=True)
    changed = {"users": 0, "classes": 0, "enrollments": 0}

    # --- manifest, orgs, sessions
    w = Writer(a.out_dir, "manifest.csv")
    w.csv.writerow(["propertyName", "value"])
    for p in MANIFEST:
        w.row(*p)
    w.close()

    w = Writer(a.out_dir, "orgs.csv")
    w.row(DISTRICT_ID, "", "", "Generated Unified School District", "district", "GEN", "")
    school_ids = [ident("org-gen-s", s + 1, swidth) for s in range(a.schools)]
    for s, sid in enumerate(school_ids):
        w.row(sid, "", "", f"Generated School {s + 1}", "school", f"GEN-{s + 1:0{swidth}d}",
              DISTRICT_ID)
    w.close()
    n_orgs = w.rows

    w = Writer(a.out_dir, "academicSessions.csv")
    w.row(YEAR_ID, "", "", "2026-2027", "schoolYear", BEGIN, "2027-06-11", "", "2027")
    w.row(TERM_ID, "", "", "Fall 2026", "semester", BEGIN, END, YEAR_ID, "2027")
    w.close()

    # --- courses and classes: class i goes to school i % schools
    class_school = []
    class_grade = []
    change_classes = set(crng.sample(range(a.classes), round(frac * a.classes)))
    wc = Writer(a.out_dir, "courses.csv")
    wk = Writer(a.out_dir, "classes.csv")
    for i in range(a.classes):
        s = i % a.schools
        grade = rng.choice(GRADES)
        subject = rng.choice(SUBJECTS)
        period = rng.randint(1, 7)
        room = rng.randint(100, 399)
        cid, crs = ident("cls-", i + 1, width), ident("crs-", i + 1, width)
        title = f"{subject} {int(grade)} - Period {period}"
        if i in change_classes:
            title += " (Section B)"
            changed["classes"] += 1
        class_school.append(s)
        class_grade.append(grade)
        wc.row(crs, "", "", YEAR_ID, f"Course {i + 1}", f"C{i + 1}", grade, school_ids[s],
               subject, "")
        wk.row(cid, "", "", title, grade, crs, f"K{i + 1}-P{period}",
               "homeroom" if subject == "Advisory" else "scheduled", f"Room {room}",
               school_ids[s], TERM_ID, subject, "", str(period))
    wc.close()
    wk.close()

    # --- users: administrators, teachers (schools in turn), students (random school)
    change_users = set(crng.sample(range(a.users), round(frac * a.users)))
    teachers_of = [[] for _ in range(a.schools)]
    students = []  # (user index, school, grade)
    w = Writer(a.out_dir, "users.csv")
    row_index = 0
    for role, count, letter in (("administrator", n_admins, "a"), ("teacher", n_teachers, "t"),
                                ("student", n_students, "s")):
        for i in range(count):
            s = i % a.schools if role != "student" else rng.randrange(a.schools)
            given, family = rng.choice(GIVEN), rng.choice(FAMILY)
            grade = rng.choice(GRADES) if role == "student" else ""
            uid = ident(f"usr-{letter}-", i + 1, width)
            username = ident(f"gen.{letter}", i + 1, width)
            email = f"{username}@{EMAIL_DOMAIN}" if role != "student" else ""
            if role == "teacher":
                teachers_of[s].append(uid)
            elif role == "student":
                students.append((i + 1, s, grade))
            if row_index in change_users:
                changed["users"] += 1
                if role == "student" and crng.random() < 0.5:
                    grade = crng.choice([g for g in GRADES if g != grade])
                else:
                    family = crng.choice([f for f in FAMILY if f != family])
            w.row(uid, "", "", "true", school_ids[s], role, username, "", given, family, "",
                  str(1_000_000 + row_index), email, "", "", "", grade, "")
            row_index += 1
    w.close()
    n_users = w.rows

    # --- enrollments
    classes_of = [[] for _ in range(a.schools)]
    by_grade = [{} for _ in range(a.schools)]
    for i, s in enumerate(class_school):
        classes_of[s].append(i)
        by_grade[s].setdefault(class_grade[i], []).append(i)
    caps = [len(classes_of[s]) for _, s, _ in students]
    if sum(caps) < student_enrollments:
        sys.exit(f"--enrollments {a.enrollments} is too many: the students can take at most "
                 f"{sum(caps) + a.classes} enrollments with {a.classes} classes over "
                 f"{a.schools} schools (use fewer schools, more classes or fewer enrollments)")
    level, remainder = enrollment_levels(caps, student_enrollments)
    eligible = [k for k, c in enumerate(caps) if c > level]
    extra = set(rng.sample(eligible, remainder))

    change_enr = set(crng.sample(range(student_enrollments),
                                 min(student_enrollments, round(frac * a.enrollments))))
    w = Writer(a.out_dir, "enrollments.csv")
    n = 0
    offsets = [rng.randrange(max(1, len(t))) for t in teachers_of]
    seen_in_school = [0] * a.schools
    for i, s in enumerate(class_school):
        t = teachers_of[s]
        teacher = t[(offsets[s] + seen_in_school[s]) % len(t)]
        seen_in_school[s] += 1
        n += 1
        w.row(ident("enr-", n, width), "", "", ident("cls-", i + 1, width), school_ids[s],
              teacher, "teacher", "true", BEGIN, END)
    k_student = 0
    for k, (num, s, grade) in enumerate(students):
        take = min(level, caps[k]) + (1 if k in extra else 0)
        if take == 0:
            continue
        same = by_grade[s].get(grade, [])
        if take <= len(same):
            chosen = rng.sample(same, take)
        else:
            same_set = set(same)
            others = [c for c in classes_of[s] if c not in same_set]
            chosen = rng.sample(same, len(same)) + rng.sample(others, take - len(same))
        uid = ident("usr-s-", num, width)
        mine = set(chosen)
        for c in chosen:
            if k_student in change_enr:
                free = len(classes_of[s]) - len(mine)
                if free > 0:
                    while True:
                        new = classes_of[s][crng.randrange(len(classes_of[s]))]
                        if new not in mine:
                            break
                    mine.discard(c)
                    mine.add(new)
                    c = new
                    changed["enrollments"] += 1
            k_student += 1
            n += 1
            w.row(ident("enr-", n, width), "", "", ident("cls-", c + 1, width), school_ids[s],
                  uid, "student", "false", BEGIN, END)
    w.close()
    assert w.rows == a.enrollments, (w.rows, a.enrollments)

    if a.zip:
        # A fixed timestamp keeps the zip byte-identical from run to run.
        with zipfile.ZipFile(a.zip, "w", compression=zipfile.ZIP_DEFLATED) as z:
            for name in FILES:
                info = zipfile.ZipInfo(name, date_time=(2026, 8, 1, 12, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                path = os.path.join(a.out_dir, name)
                big = os.path.getsize(path) >= zipfile.ZIP64_LIMIT
                with open(path, "rb") as src, z.open(info, "w", force_zip64=big) as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)

    elapsed = time.monotonic() - started
    print(f"orgs: {n_orgs} (1 district, {a.schools} schools), academicSessions: 2, "
          f"courses: {a.classes}, classes: {a.classes}")
    print(f"users: {n_users} ({n_admins} administrators, {n_teachers} teachers, "
          f"{n_students} students)")
    print(f"enrollments: {w.rows} ({a.classes} primary teachers, {student_enrollments} students)")
    if frac:
        print(f"changed (fraction {frac}): users {changed['users']}, classes {changed['classes']}, "
              f"enrollments {changed['enrollments']}")
    if a.zip:
        print(f"zip: {a.zip} ({os.path.getsize(a.zip):,} bytes)")
    print(f"written to {a.out_dir} in {elapsed:.2f} s")


if __name__ == "__main__":
    main()
