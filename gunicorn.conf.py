"""gunicorn settings for the web process: `gunicorn -c gunicorn.conf.py 'web:create_app()'`.

Every value comes from the environment so one file serves a laptop, a container and a
rack of web machines. Threads, not async workers: the app is blocking SQLAlchemy code.
Each worker process builds its own database pool after the fork (no preload), so
connections are never shared between processes. Size DB_POOL_SIZE to WEB_THREADS
(docs/how-to/scale-out.md).
"""
import os


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


bind = [os.environ.get("BIND") or f"0.0.0.0:{os.environ.get('PORT') or 8000}"]
workers = _int("WEB_CONCURRENCY", 2)            # processes; about one per core
worker_class = "gthread"
threads = _int("WEB_THREADS", 4)                # requests in flight per process
timeout = _int("WEB_TIMEOUT", 30)               # a worker silent this long is restarted
graceful_timeout = _int("WEB_GRACEFUL_TIMEOUT", 30)  # SIGTERM: finish requests in flight
keepalive = _int("WEB_KEEPALIVE", 5)
# longer request lines than the app accepts (web/security/inputs.py URL_MAX), so an over-long URL
# gets the app's answer (JSON 414 on /api/), not gunicorn's own HTML page
limit_request_line = 8190
max_requests = _int("WEB_MAX_REQUESTS", 2000)   # recycle workers now and then, staggered
max_requests_jitter = max_requests // 10
preload_app = False
# behind a reverse proxy: the addresses allowed to set X-Forwarded-Proto (https links)
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS") or "127.0.0.1"

# logs to stdout/stderr for the process manager; the access log never shows query
# strings, survey-link tokens, credentials or cookies (web/security/access_log.py)
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("WEB_LOG_LEVEL") or "info"
logger_class = "web.security.access_log.RedactingLogger"
access_log_format = '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
