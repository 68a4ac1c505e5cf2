"""Locust users for the HTTP throughput benchmark (run by bench/http_load.py, never imported
by the project: locust patches the standard library with gevent when imported).

Closed loop, no think time: each user sends its next request as soon as the previous
answer is in, so requests/s is what the server sustains at that many concurrent clients.

- IntakeUser: POST /api/v1/dossiers again and again (tiếp nhận hồ sơ);
- LifecycleUser: intake, then the six actions that take the dossier to the citizen
  (forward x4 through three agencies, complete, return_result), each as its staff member.

Settings come from the environment: BENCH_TOKENS (JSON username -> API token),
BENCH_PROCEDURE, BENCH_DOCUMENTS (JSON list).
"""
from __future__ import annotations

import json
import os

from locust import FastHttpUser, constant, task

TOKENS = json.loads(os.environ.get("BENCH_TOKENS", "{}"))
PROCEDURE = os.environ.get("BENCH_PROCEDURE", "1.001612")
DOCUMENTS = json.loads(os.environ.get("BENCH_DOCUMENTS", '["GDN", "CCCD"]'))
APPLICANT = {"name": "Nguyễn Văn An", "id_number": "001090012345", "phone": "0912345678"}
# (who, action) after the clerk's intake; the last step (TKQ) is held by the desk T1
STEPS = [("clerk", "forward"), ("kt", "forward"), ("tax", "forward"), ("ld", "forward"),
         ("clerk", "complete"), ("clerk", "return_result")]
INTAKE = {"procedure_code": PROCEDURE, "applicant": APPLICANT, "documents": DOCUMENTS,
          "channel": "in_person"}


def _headers(who: str) -> dict:
    return {"Authorization": f"Bearer {TOKENS[who]}", "Content-Type": "application/json"}


class _Staff(FastHttpUser):
    abstract = True
    wait_time = constant(0)

    def intake(self) -> str | None:
        with self.client.post("/api/v1/dossiers", data=json.dumps(INTAKE), headers=_headers("clerk"),
                              name="intake", catch_response=True) as resp:
            if resp.status_code != 201:
                resp.failure(f"{resp.status_code}: {resp.text[:200]}")
                return None
            return resp.json()["code"]


class IntakeUser(_Staff):
    @task
    def receive(self):
        self.intake()


class LifecycleUser(_Staff):
    @task
    def lifecycle(self):
        code = self.intake()
        for who, action in STEPS if code else ():
            with self.client.post(f"/api/v1/dossiers/{code}/actions/{action}", data="{}",
                                  headers=_headers(who), name=action, catch_response=True) as resp:
                if resp.status_code != 200:
                    resp.failure(f"{resp.status_code}: {resp.text[:200]}")
                    return
