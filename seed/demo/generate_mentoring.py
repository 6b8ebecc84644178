#!/usr/bin/env python3
"""Writes mentoring.json, the peer-mentoring programs of the demo district (deterministic).

One program per secondary school: about 8 mentors and 12 mentees with interests and availability,
a do-not-match pair or two, and matches in every state: active and on cadence (two meetings in the
first 30 days, then one every 30 days), exactly one active match behind on cadence, one closed
early, one proposed, and several mentees still unmatched for the suggestion endpoint.
Dates are days before (or after) the day the demo is loaded, so the history never goes stale.
The demo students andreg197 (grade 7, a mentee) and adityah171 (grade 10, a mentor) are each in
an active, on-cadence match.
Run from the repository root: python3 seed/demo/generate_mentoring.py
"""
import csv
import json
import random
from pathlib import Path

HERE = Path(__file__).parent
random.seed(20261128)

users = list(csv.DictReader((HERE / "users.csv").open(encoding="utf-8")))

INTERESTS = ["arts", "music", "sports", "gaming", "reading", "science_tech", "outdoors",
             "cooking", "animals", "drama", "building_making", "languages"]
SLOTS = [f"{day}/{period}" for day in ["monday", "tuesday", "wednesday", "thursday", "friday"]
         for period in ["before_school", "lunch", "after_school"]]
TOPICS = ["emotion_labeling", "grounding", "communication", "conflict_repair", "school_work",
          "friendships", "other"]
NOTES = [
    "Talked about joining the robotics club; seemed more relaxed this week.",
    "Made a simple planner for the science project together.",
    "Practised box breathing before Friday's math test.",
    "Talked through how to ask a classmate to sit together at lunch.",
    "Role-played bringing up a disagreement with a lab partner calmly.",
    "Swapped book recommendations and set a small reading goal.",
    "Short check-in during a busy week; kept the regular slot anyway.",
    "Named a few feelings from the week and what helped with each.",
    "Planned how to introduce themselves at the first art club meeting.",
    "Good energy today; lots of laughing over lunch.",
]

PROGRAMS = [
    {
        "school": "riverbend-ms", "created_by": "daniel.kim",
        "name": "Riverbend Peer Buddies",
        "goals": "Help sixth and seventh graders settle into middle school: a trusted older student "
                 "to talk to about friendships, organisation and handling big feelings.",
        "mentor_grades": [8], "mentee_grades": [6, 7],
        "min_grade_gap": 1, "preferred_grade_gap": 2, "mentor_capacity": 2,
        "starts_days_ago": 80, "ends_in_days": 200,
        "demo": ("mentee", "andreg197"),
        # (mentor index, mentee index, status, started_days_ago, closed_days_ago, meeting days_ago)
        "plan": [
            (0, 0, "active", 70, None, [68, 55, 39, 24, 9]),   # andreg197's match
            (1, 1, "active", 64, None, [62, 50, 31, 12]),
            (1, 2, "active", 40, None, [38, 22, 6]),
            (2, 3, "active", 70, None, [66, 52]),               # overdue: nothing for 52 days
            (3, 4, "closed", 60, 20, [58, 44, 27]),
            (4, 5, "proposed", None, None, []),
        ],
        "closure": ("mismatch", "Both agreed the pairing wasn't clicking; the mentee would like "
                                "to try a different mentor later in the year."),
        "do_not_match": [(5, 6)],
    },
    {
        "school": "lakeview-hs", "created_by": "luis.navarro",
        "name": "Lakeview Freshman Link",
        "goals": "Pair ninth graders with an upper-year student for their first year of high "
                 "school: study habits, getting involved, and staying steady under pressure.",
        "mentor_grades": [10, 11, 12], "mentee_grades": [9],
        "min_grade_gap": 1, "preferred_grade_gap": 2, "mentor_capacity": 2,
        "starts_days_ago": 85, "ends_in_days": 190,
        "demo": ("mentor", "adityah171"),
        "plan": [
            (0, 0, "active", 72, None, [70, 58, 40, 27, 11]),  # adityah171's match
            (1, 1, "active", 55, None, [53, 41, 30, 14]),
            (2, 2, "active", 33, None, [31, 17, 4]),
            (2, 3, "active", 75, None, [73, 61]),               # overdue: nothing for 61 days
            (3, 4, "closed", 65, 25, [63, 50, 34, 26]),
            (4, 5, "proposed", None, None, []),
            (5, 6, "active", 18, None, [12]),                   # new, first month not over yet
        ],
        "closure": ("student_moved", "The mentor's family moved out of the district; the pair "
                                     "said a proper goodbye at their last meeting."),
        "do_not_match": [(6, 7), (1, 8)],
    },
]

def students(school, grades, exclude):
    """Eligible students in random order, taking the grades in turn so each one is represented."""
    by_grade = [[u["username"] for u in users if u["role"] == "student" and u["school"] == school
                 and u["grade"] == str(g) and u["username"] != exclude] for g in grades]
    for pool in by_grade:
        random.shuffle(pool)
    return [u for row in zip(*by_grade) for u in row]

def participant(username, role):
    return {"username": username, "role": role,
            "interests": random.sample(INTERESTS, random.randint(2, 4)),
            "availability": random.sample(SLOTS, random.randint(2, 5))}

def share_one(mentor, mentee, field):
    """A matched pair gets at least one interest and one free slot in common."""
    if not set(mentor[field]) & set(mentee[field]):
        mentee[field][0] = mentor[field][0]

def meeting(days_ago):
    m = {"days_ago": days_ago, "minutes": random.choice([20, 25, 30, 30, 40, 45]),
         "topics": random.sample(TOPICS[:-1], random.randint(1, 3))}
    if random.random() < 0.6:
        m["note"] = random.choice(NOTES)
    return m

out = []
for p in PROGRAMS:
    demo_role, demo_user = p.pop("demo")
    plan, closure, avoid = p.pop("plan"), p.pop("closure"), p.pop("do_not_match")
    mentors = students(p["school"], p["mentor_grades"], demo_user)[:8]
    mentees = students(p["school"], p["mentee_grades"], demo_user)[:12]
    (mentors if demo_role == "mentor" else mentees)[0] = demo_user
    mentors = [participant(u, "mentor") for u in mentors]
    mentees = [participant(u, "mentee") for u in mentees]
    matches = []
    for mi, ei, status, started, closed, days in plan:
        mentor, mentee = mentors[mi], mentees[ei]
        share_one(mentor, mentee, "interests")
        share_one(mentor, mentee, "availability")
        match = {"mentor": mentor["username"], "mentee": mentee["username"], "status": status}
        if started is not None:
            match["started_days_ago"] = started
        if closed is not None:
            match["closed_days_ago"] = closed
            match["closure_reason"], match["closure_note"] = closure
        match["meetings"] = [meeting(d) for d in days]
        matches.append(match)
    p["participants"] = mentors + mentees
    p["do_not_match"] = [sorted([mentors[mi]["username"], mentees[ei]["username"]])
                         for mi, ei in avoid]
    p["matches"] = matches
    out.append(p)

(HERE / "mentoring.json").write_text(json.dumps({"programs": out}, indent=2) + "\n", encoding="utf-8")
print(", ".join(f"{p['school']}: {len(p['participants'])} participants, {len(p['matches'])} matches"
                for p in out))
