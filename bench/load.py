"""A bounded load run: gunicorn on loopback, N simulated users for S seconds.

    .venv/bin/python bench/load.py --users 50 --seconds 60       # after bench/generate.py

Locust is not used: it pulls gevent and a web UI into the shared virtualenv for what 120
lines of threads do here. Each user is a thread with its own keep-alive HTTP/1.1
connection and its own session (one of the harness's bench users, a session row made
directly; 60 % district staff, 20 % coaches, 10 % each province and national viewers),
picks a page of its role from the harness's scenarios, waits a think time (uniform 0.5–1.5 s
by default), and records status and latency. gunicorn runs with the Dockerfile's flags
(workers, threads, keep-alive; ``dockerfile_flags``) unless ``--gunicorn`` overrides them.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def dockerfile_flags() -> str:
    """The gunicorn flags of the Dockerfile's CMD, without --bind and the access log:
    the load run measures the configuration that ships (sized there for 2 cores)."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", "")
    command = json.loads(re.search(r"^CMD (\[.*?\])$", text, re.M | re.S)[1])
    flags, skip = [], {"--bind": 1, "--access-logfile": 1}
    args = iter(command[2:])
    for arg in args:
        if arg in skip:
            next(args, None)
            continue
        flags.append(arg)
    return shlex.join(flags)


GUNICORN = dockerfile_flags()


# Who the users are: mostly district staff and coaches, a few province/national viewers;
# each user requests the scenario pages of their role.
THINK = (0.5, 1.5)  # seconds between a user's requests, uniform
ROLE_MIX = ["district"] * 6 + ["coach"] * 2 + ["province", "national"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _sessions(users) -> dict[str, str]:
    """A session key per bench user, made the way a login makes one."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    keys = {}
    for name, user in users.items():
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        keys[name] = session.session_key
    return keys


def _rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (gunicorn master + workers)."""
    total = 0.0
    try:
        children = subprocess.run(
            ["ps", "-o", "rss=", "--ppid", str(pid)], capture_output=True, text=True
        ).stdout.split()
        total = max((int(kb) / 1024 for kb in children), default=0.0)
    except (OSError, ValueError):
        pass
    return round(total, 1)


class User(threading.Thread):
    def __init__(self, port, cookie, urls, until, think, results, seed):
        super().__init__(daemon=True)
        self.port, self.cookie, self.urls, self.until = port, cookie, urls, until
        self.think, self.results, self.rng = think, results, random.Random(seed)

    def run(self):
        connection = None
        while time.monotonic() < self.until:
            url = self.rng.choice(self.urls)
            began = time.perf_counter()
            try:
                if connection is None:
                    connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                connection.request(
                    "GET",
                    url,
                    headers={
                        "Cookie": f"{settings.SESSION_COOKIE_NAME}={self.cookie}",
                        "X-Forwarded-Proto": "https",
                        "Host": "127.0.0.1",
                    },
                )
                response = connection.getresponse()
                response.read()
                outcome = response.status
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()
                    connection = None
            except (OSError, http.client.HTTPException) as error:
                outcome = type(error).__name__
                if connection is not None:
                    connection.close()
                connection = None
            self.results.append(
                (time.monotonic(), url, outcome, (time.perf_counter() - began) * 1000)
            )
            low, high = self.think
            time.sleep(self.rng.uniform(low, high))


def load_run(
    *,
    users: int = 50,
    seconds: int = 60,
    think: tuple[float, float] = THINK,
    gunicorn: str = GUNICORN,
    env: dict | None = None,
    warmup: int = 10,
    roles: list[str] | None = None,
) -> dict:
    """Start gunicorn, run the users (the first ``warmup`` seconds not counted: fresh
    workers compile templates and fill caches), stop gunicorn; figures as a dict.
    ``roles`` keeps only users of those roles (e.g. ["district", "coach"]: the district
    and network pages without the national viewers)."""
    from django.utils import timezone

    from bench.run import bench_users, scenarios
    from indicators.periods import last_complete_month

    accounts = bench_users()
    keys = _sessions(accounts)
    mix = [(s.user, s.url) for s in scenarios(last_complete_month(timezone.localdate()))]
    port = _free_port()
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "qi_portal.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        *shlex.split(gunicorn),
    ]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        for _ in range(100):  # wait for the socket
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.2)
        results: list = []
        counted_from = time.monotonic() + warmup
        until = counted_from + seconds
        threads = []
        role_mix = [r for r in ROLE_MIX if not roles or r in roles]
        for index in range(users):
            role = role_mix[index % len(role_mix)]
            urls = [url for user, url in mix if user == role]
            threads.append(User(port, keys[role], urls, until, think, results, seed=index))
        for thread in threads:
            thread.start()
            time.sleep(think[1] / users)  # ramp up over one think time
        rss = 0.0
        while any(t.is_alive() for t in threads):
            rss = max(rss, _rss_mb(process.pid))
            time.sleep(1)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
    results = [r[1:] for r in results if r[0] >= counted_from]
    elapsed = seconds
    ok = [ms for _, outcome, ms in results if outcome == 200]
    errors: dict[str, int] = {}
    for _, outcome, _ in results:
        if outcome != 200:
            errors[str(outcome)] = errors.get(str(outcome), 0) + 1
    slowest: dict[str, list[float]] = {}
    for url, _outcome, ms in results:
        slowest.setdefault(url, []).append(ms)
    return {
        "users": users,
        "seconds": seconds,
        "warmup": warmup,
        "mix": ", ".join(
            f"{role} {role_mix.count(role) / len(role_mix):.0%}" for role in dict.fromkeys(role_mix)
        ),
        "think": f"{think[0]}–{think[1]}",
        "gunicorn": gunicorn,
        "requests": len(results),
        "rps": round(len(results) / elapsed, 1),
        "p50_ms": round(statistics.median(ok), 0) if ok else None,
        "p95_ms": round(sorted(ok)[int(0.95 * (len(ok) - 1))], 0) if ok else None,
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "worker_rss_mb": rss,
        "p50_by_url_ms": {
            url: round(statistics.median(times), 0) for url, times in sorted(slowest.items())
        },
    }


def _think(text: str) -> tuple[float, float]:
    """ "2-8" → (2.0, 8.0)."""
    low, _sep, high = text.partition("-")
    values = (float(low), float(high or low))
    if not 0 <= values[0] <= values[1]:
        raise argparse.ArgumentTypeError("LOW-HIGH with 0 <= LOW <= HIGH")
    return values


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--gunicorn", default=GUNICORN, help="gunicorn flags")
    parser.add_argument("--roles", help="comma-separated, e.g. district,coach (default all)")
    parser.add_argument(
        "--think",
        type=_think,
        default=THINK,
        metavar="LOW-HIGH",
        help=f"seconds between a user's requests, uniform (default {THINK[0]}-{THINK[1]})",
    )
    args = parser.parse_args(argv)
    from bench.run import PRODUCTION_ENV

    for name, value in PRODUCTION_ENV.items():
        os.environ.setdefault(name, value)
    from bench.generate import _setup_django

    _setup_django(None)
    roles = args.roles.split(",") if args.roles else None
    result = load_run(
        users=args.users,
        seconds=args.seconds,
        gunicorn=args.gunicorn,
        roles=roles,
        think=args.think,
    )
    print(result)


if __name__ == "__main__":
    main()
