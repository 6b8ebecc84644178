#!/usr/bin/env python3
"""Writes assignments.csv and completions.csv for the demo district (deterministic).

Every current-term class gets lessons from the starter library (seed/lessons/library.json)
that fit its grade band, in several states: delivered weeks ago (most students completed,
some with reflections), due now (a few completions), upcoming, and one cancelled.
Run from the repository root: python3 seed/demo/generate_assignments.py
"""
import csv
import json
import random
from pathlib import Path

HERE = Path(__file__).parent
random.seed(20261127)

library = json.loads((HERE.parent / "lessons" / "library.json").read_text(encoding="utf-8"))
classes = list(csv.DictReader((HERE / "classes.csv").open(encoding="utf-8")))
enrollments = list(csv.DictReader((HERE / "enrollments.csv").open(encoding="utf-8")))

def band(grade):
    g = int(grade)
    return "K-2" if g <= 2 else "3-5" if g <= 5 else "6-8" if g <= 8 else "9-12"

EMOTIONS = ["calm", "happy", "proud", "hopeful", "curious", "tired", "worried", "sad",
            "angry", "frustrated", "overwhelmed", "lonely"]
WEIGHTS = [22, 16, 12, 10, 10, 8, 7, 4, 3, 4, 3, 1]
REFLECTIONS = [
    "The breathing helped me slow down before the quiz.",
    "I liked hearing that other people feel nervous too.",
    "I want to use the I feel statement with my brother.",
    "It was hard to say what I needed but I tried.",
    "I know which adult I can go to now.",
    "I felt left out at lunch last week, this made me think.",
    "Counting things I could see made my head quieter.",
    "I didn't like talking in the circle but listening was ok.",
]

assignments, completions = [], []
n = 0
for c in classes:
    if c["term"] != "2026-27-fall":
        continue
    grade = c["grade"] or "11"
    fitting = [l for l in library if l["grade_band"] == band(grade)]
    random.shuffle(fitting)
    teacher = c["teachers"].split()[0]
    students = [e["student"] for e in enrollments if e["class"] == c["key"]]
    plan = [
        ("delivered", "2026-10-14", "2026-10-21", "2026-10-14", 0.8, "Went well; we practised twice."),
        ("scheduled", "2026-11-24", "2026-12-01", "", 0.3, ""),
        ("scheduled", "2026-12-08", "", "", 0.0, ""),
    ]
    if n % 5 == 0:
        plan.append(("cancelled", "2026-11-03", "", "", 0.0, ""))
    for i, (status, scheduled, due, delivered, share, note) in enumerate(plan):
        lesson = fitting[i % len(fitting)]
        key = f"{c['key']}-a{i + 1}"
        assignments.append({
            "key": key, "class": c["key"], "lesson": lesson["key"], "teacher": teacher,
            "scheduled_on": scheduled, "due_on": due, "status": status,
            "delivered_on": delivered, "teacher_note": note,
        })
        for s in students:
            if random.random() < share:
                emotion = random.choices(EMOTIONS, WEIGHTS)[0] if random.random() < 0.85 else ""
                reflection = random.choice(REFLECTIONS) if random.random() < 0.25 else ""
                completions.append({"assignment": key, "student": s, "emotion": emotion, "reflection": reflection})
    n += 1

def write(name, rows, fields):
    with (HERE / name).open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)

write("assignments.csv", assignments,
      ["key", "class", "lesson", "teacher", "scheduled_on", "due_on", "status", "delivered_on", "teacher_note"])
write("completions.csv", completions, ["assignment", "student", "emotion", "reflection"])
print(f"{len(assignments)} assignments, {len(completions)} completions")
