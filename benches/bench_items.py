"""Turns a questionnaire (GET /api/v1/survey-windows/{id}/questionnaire) into the item list
submit.lua reads: one line per item, "<item id> <value>,<value>,...".  Reads JSON on stdin."""
import json
import sys

questionnaire = json.load(sys.stdin)
for section in questionnaire["sections"]:
    for item in section["items"]:
        values = ",".join(str(o["value"]) for o in item["options"])
        print(f'{item["id"]} {values}')
