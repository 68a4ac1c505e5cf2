"""The production files agree with each other and with the Celery app: the Procfile's
processes and queues, the compose file that runs them, gunicorn's settings and its access
log, and the start script's supervision (with stand-in processes; the real ones run in
tests/e2e/test_production.py)."""
from __future__ import annotations

import os
import re
import runpy
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from gunicorn.config import Config
from gunicorn.glogging import Logger

from web.security.access_log import RedactingLogger, redact_path

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = ["web", "worker-default", "worker-notifications", "worker-sweeps", "beat"]


def procfile(path: Path = ROOT / "Procfile") -> dict[str, str]:
    entries = [re.match(r"^([A-Za-z0-9_-]+):\s*(.+)$", line) for line in path.read_text().splitlines()]
    return {m.group(1): m.group(2) for m in entries if m}


# -- Procfile and queues ---------------------------------------------------------------
def test_procfile_runs_gunicorn_three_single_queue_workers_and_one_beat():
    procs = procfile()
    assert list(procs) == PROCESSES
    assert procs["web"].startswith("gunicorn --config gunicorn.conf.py 'web:create_app()'")
    assert [name for name, cmd in procs.items() if " beat" in cmd] == ["beat"]
    hostnames = [re.search(r"--hostname=(\S+)", cmd).group(1) for n, cmd in procs.items() if "tasks.worker worker" in cmd]
    assert len(hostnames) == 3 and len(set(hostnames)) == 3


def test_every_queue_has_its_own_worker_and_sweeps_never_share_one_with_mail():
    from tasks.worker import app
    consumers = {}
    for name, cmd in procfile().items():
        if "tasks.worker worker" in cmd:
            [queues] = re.findall(r"--queues=(\S+)", cmd)
            for queue in queues.split(","):
                consumers.setdefault(queue, []).append(name)
    assert consumers == {q.name: [f"worker-{q.name}"] for q in app.conf.task_queues}

    def worker_for(task: str) -> str:
        [worker] = consumers[app.amqp.router.route({}, task)["queue"].name]
        return worker
    assert worker_for("motcua.outbox.relay") == "worker-notifications"
    assert worker_for("motcua.deadlines.sweep") == worker_for("motcua.surveys.sweep") == "worker-sweeps"
    assert app.conf.task_acks_late and app.conf.worker_prefetch_multiplier == 1


def test_a_production_worker_refuses_the_default_secret_key():
    """The worker signs the survey links it mails: a known key would let anyone forge them."""
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    done = subprocess.run([sys.executable, "-c", "import tasks.worker"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env={**env, "MOTCUA_ENV": "production"})
    assert done.returncode != 0 and "SECRET_KEY must be set" in done.stderr
    ok = subprocess.run([sys.executable, "-c", "import tasks.worker"], cwd=ROOT, capture_output=True,
                        text=True, timeout=60, env={**env, "MOTCUA_ENV": "production", "SECRET_KEY": "k" * 40})
    assert ok.returncode == 0, ok.stderr


# -- docker-compose.yml and Dockerfile ----------------------------------------------------
def test_compose_runs_each_procfile_process_once_after_the_migration():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "migrate", "mailpit"} <= set(services)
    assert 'ENTRYPOINT ["scripts/run-prod.sh"]' in (ROOT / "Dockerfile").read_text()
    runs = {name: s["command"] for name, s in services.items() if s.get("entrypoint") is None and "build" in s}
    assert runs == {name: [name] for name in PROCESSES}  # run-prod.sh NAME: the Procfile's line
    assert "deploy" not in services["beat"] and "scale" not in services["beat"]
    assert services["migrate"]["entrypoint"] == ["flask", "--app", "web", "db", "upgrade"]
    for name in PROCESSES:
        service = services[name]
        assert service["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        assert service["depends_on"]["postgres"] == {"condition": "service_healthy"}
        assert service["environment"]["MIGRATE"] == "0" and service["init"] is True
        assert service["environment"]["SECRET_KEY"].startswith("${SECRET_KEY:?")  # no default key
        assert service["environment"]["MOTCUA_ENV"] == "production"


# -- gunicorn ----------------------------------------------------------------------------
def test_gunicorn_settings_come_from_the_environment(monkeypatch):
    for name, value in {"WEB_CONCURRENCY": "3", "WEB_THREADS": "6", "BIND": "127.0.0.1:9000",
                        "WEB_TIMEOUT": "45"}.items():
        monkeypatch.setenv(name, value)
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert (conf["workers"], conf["threads"], conf["bind"], conf["timeout"]) == (3, 6, ["127.0.0.1:9000"], 45)
    assert conf["worker_class"] == "gthread" and conf["preload_app"] is False
    cfg = Config()
    cfg.set("logger_class", conf["logger_class"])
    assert cfg.logger_class is RedactingLogger


def access_line(logger_cls, fmt: str, uri: str, headers: dict) -> str:
    cfg = Config()
    cfg.set("access_log_format", fmt)
    logger = logger_cls(cfg)
    path, _, query = uri.partition("?")
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": uri, "PATH_INFO": path, "QUERY_STRING": query,
               "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "10.0.0.7",
               **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}}
    resp = SimpleNamespace(status="200 OK", sent=10, headers=[("Set-Cookie", "session=s3cr3t-cookie")])
    req = SimpleNamespace(headers=list(headers.items()))
    atoms = logger.atoms(resp, req, environ, SimpleNamespace(seconds=0, microseconds=1500))
    return cfg.access_log_format % logger.atoms_wrapper_class(atoms)


@pytest.mark.parametrize("uri", ["/s/tok3n-SECRET.sig?lang=en", "/api/v1/surveys/tok3n-SECRET.sig",
                                 "/tra-cuu?ma=X&so=tok3n-SECRET", "/ho-so-truc-tuyen/tok3n-SECRET",
                                 "/api/v1/submissions/tok3n-SECRET/files/7"])
def test_access_log_never_shows_link_tokens_query_strings_or_credentials(uri):
    every_atom = ('%(h)s "%(r)s" %(U)s %(q)s "%(f)s" %({authorization}i)s %({cookie}i)s '
                  '%({set-cookie}o)s %({raw_uri}e)s %({query_string}e)s %({http_authorization}e)s')
    headers = {"Authorization": "Bearer tok3n-SECRET", "Cookie": "session=tok3n-SECRET",
               "Referer": "https://motcua.example/s/tok3n-SECRET?x=tok3n-SECRET"}
    plain = access_line(Logger, every_atom, uri, headers)
    assert "tok3n-SECRET" in plain and "s3cr3t-cookie" in plain  # what gunicorn alone would log
    line = access_line(RedactingLogger, every_atom, uri, headers)
    assert "tok3n-SECRET" not in line and "s3cr3t-cookie" not in line, line
    assert f"GET {redact_path(uri)} HTTP/1.1" in line and "https://motcua.example/s/***" in line


def test_redacted_paths_keep_what_an_operator_needs():
    assert redact_path("/s/abc.def/extra?x=1") == "/s/***/extra"
    assert redact_path("/api/v1/surveys/abc") == "/api/v1/surveys/***"
    assert redact_path("/api/v1/dossiers/H26.HD-261129-0001?x=1") == "/api/v1/dossiers/H26.HD-261129-0001"
    assert redact_path("/static/s/app.css") == "/static/s/app.css"
    assert redact_path("/ho-so-truc-tuyen/abc/bo-sung") == "/ho-so-truc-tuyen/***/bo-sung"
    assert redact_path("/api/v1/submissions/abc/files/7") == "/api/v1/submissions/***/files/7"
    assert redact_path("/api/v1/submissions/codes") == "/api/v1/submissions/codes"  # an endpoint


# -- the start script's supervision ------------------------------------------------------
GRACEFUL = 'python -c "import signal, sys, time; signal.signal(signal.SIGTERM, lambda *a: sys.exit(0)); time.sleep(60)"'
STUBBORN = 'python -c "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"'
DIES = 'python -c "import sys, time; time.sleep(1); sys.exit(3)"'


def start(tmp_path, lines: dict, *names, **env):
    (tmp_path / "Procfile").write_text("".join(f"{k}: {v}\n" for k, v in lines.items()))
    log = open(tmp_path / "out.log", "w")
    proc = subprocess.Popen(["bash", str(ROOT / "scripts" / "run-prod.sh"), *names], stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True, env={
                                **os.environ, "PROCFILE": str(tmp_path / "Procfile"), "MIGRATE": "0",
                                "MOTCUA_INSTANCE": str(tmp_path / "instance"),
                                "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
                                **env})
    proc.output = lambda: (tmp_path / "out.log").read_text()
    return proc


def started(proc, count: int) -> None:
    deadline = time.monotonic() + 20
    while proc.output().count("run-prod: started") < count:
        assert time.monotonic() < deadline and proc.poll() is None, proc.output()
        time.sleep(0.05)
    time.sleep(0.5)  # let the interpreters install their handlers


def finish(proc, timeout=20) -> int:
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise


def test_sigterm_stops_every_process_and_exits_zero(tmp_path):
    proc = start(tmp_path, {"a": GRACEFUL, "b": GRACEFUL})
    started(proc, 2)
    proc.send_signal(signal.SIGTERM)
    assert finish(proc) == 0, proc.output()
    assert "run-prod: a exited with status 0" in proc.output()
    assert "run-prod: b exited with status 0" in proc.output()


def test_one_process_dying_stops_the_others_and_fails(tmp_path):
    proc = start(tmp_path, {"a": GRACEFUL, "b": DIES})
    assert finish(proc) == 1, proc.output()
    assert "run-prod: b exited with status 3" in proc.output()
    assert "run-prod: a exited with status 0" in proc.output()


def test_a_process_ignoring_the_stop_is_killed_after_the_timeout(tmp_path):
    proc = start(tmp_path, {"a": STUBBORN}, STOP_TIMEOUT="1")
    started(proc, 1)
    began = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert finish(proc) == 1, proc.output()
    assert time.monotonic() - began < 10
    assert "run-prod: a exited with status 137" in proc.output()


def test_named_processes_only_and_unknown_names_refused(tmp_path):
    proc = start(tmp_path, {"a": GRACEFUL, "b": GRACEFUL}, "b")
    started(proc, 1)
    proc.send_signal(signal.SIGTERM)
    assert finish(proc) == 0
    assert "started b" in proc.output() and "started a" not in proc.output()
    bad = start(tmp_path, {"a": GRACEFUL}, "beet")
    assert finish(bad) == 2 and "no process 'beet'" in bad.output() and "started" not in bad.output()
