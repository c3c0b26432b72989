#!/usr/bin/env python3
"""Marktplatz developer entry point; needs nothing but Python 3.11+.

    python3 dev.py demo    run the demo towns on SQLite at http://127.0.0.1:8000
    python3 dev.py test    run the whole test suite (lint, SQLite, PostgreSQL, browser)
    python3 dev.py totp E  print the current two-factor code of demo login E

Each command creates its own virtual environment from a lock file (.venv for the demo
from requirements.lock, .venv-test for the tests from requirements-dev.lock) and
reinstalls it only when the lock file changes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
PG_DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/marktplatz"


def say(message: str) -> None:
    print(f"\n==> {message}", flush=True)


def run(cmd: list[str], env: dict | None = None, check: bool = True) -> int:
    print("$ " + " ".join(str(c) for c in cmd), flush=True)
    result = subprocess.run(cmd, cwd=ROOT, env=env)
    if check and result.returncode != 0:
        sys.exit(result.returncode)
    return result.returncode


def ensure_venv(name: str, lock: str) -> Path:
    """Create ``name`` from ``lock`` (with hashes) unless it already matches the lock."""
    path = ROOT / name
    python = path / "bin" / "python"
    stamp = path / ".lock-sha256"
    digest = hashlib.sha256((ROOT / lock).read_bytes()).hexdigest()
    if python.exists() and stamp.exists() and stamp.read_text() == digest:
        return python
    say(f"Creating the virtual environment {name} from {lock}")
    if path.exists():
        shutil.rmtree(path)
    venv.EnvBuilder(with_pip=True).create(path)
    run([str(python), "-m", "pip", "install", "--quiet", "--require-hashes", "-r", lock])
    stamp.write_text(digest)
    return python


def base_env(**extra: str) -> dict:
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "marktplatz.settings")
    env.update(extra)
    return env


def prepare(python: Path, env: dict) -> None:
    run([str(python), "manage.py", "compiletranslations"], env=env)


def install_scanner() -> None:
    """The till's QR scanner (npm: barcode-detector), if npm is there; it is optional."""
    if (ROOT / "node_modules" / "barcode-detector").is_dir():
        return
    if not shutil.which("npm"):
        say("npm not found: the till scans QR codes only where the browser can itself")
        return
    say("Installing the till's QR scanner from the npm lock file")
    done = subprocess.run(
        ["npm", "ci", "--omit=dev", "--no-audit", "--no-fund", "--silent"], cwd=ROOT, check=False
    )
    if done.returncode:
        say("npm ci failed: the till scans QR codes only where the browser can itself")


def cmd_demo(args: list[str]) -> None:
    python = ensure_venv(".venv", "requirements.lock")
    env = base_env()
    env.pop("DATABASE_URL", None)  # the demo always runs on its embedded SQLite database
    prepare(python, env)
    install_scanner()
    say("Preparing the database and static files")
    run([str(python), "manage.py", "migrate", "--no-input", "-v", "0"], env=env)
    run([str(python), "manage.py", "collectstatic", "--no-input", "-v", "0"], env=env)
    say("Loading the demo towns (again and again: nothing is duplicated)")
    run([str(python), "manage.py", "demo_seed"], env=env)
    port = os.environ.get("PORT", "8000")
    print(
        f"""
Marktplatz is running:  http://127.0.0.1:{port}/
  Rheinstadt (DE, EUR): http://127.0.0.1:{port}/rheinstadt/  or  http://rheinstadt.localhost:{port}/
  Seeberg (CH, CHF):    http://127.0.0.1:{port}/seeberg/     or  http://seeberg.localhost:{port}/
  Administration:       http://127.0.0.1:{port}/admin/   (platform superuser)
E-mails (login codes, verification, invitations) are printed in this terminal.
Stop with Ctrl+C.
""",
        flush=True,
    )
    # The background worker delivers webhooks; it stops with the server.
    worker = subprocess.Popen(
        [str(python), "manage.py", "db_worker", "--interval", "2"], cwd=ROOT, env=env
    )
    try:
        subprocess.run(
            [
                str(python),
                "manage.py",
                "runserver",
                f"127.0.0.1:{port}",
                "--noreload",
                "--nostatic",
            ],
            cwd=ROOT,
            env=env,
            check=False,
        )
    except KeyboardInterrupt:
        pass
    finally:
        worker.terminate()
        worker.wait(timeout=10)


def cmd_totp(args: list[str]) -> None:
    if not args:
        sys.exit("usage: python3 dev.py totp <e-mail of a demo login>")
    python = ensure_venv(".venv", "requirements.lock")
    run([str(python), "manage.py", "demo_totp", args[0]], env=base_env())


def postgres_url() -> str | None:
    """The PostgreSQL to test against, starting the local one if CI needs it."""
    url = os.environ.get("TEST_DATABASE_URL") or PG_DEFAULT_URL
    if _reachable(url):
        return url
    if CI and shutil.which("pg_ctlcluster"):
        versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
        for version in versions:
            subprocess.run(
                ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"],
                check=False,
            )
        if _reachable(url):
            return url
    return None


def _reachable(url: str, default_port: int = 5432) -> bool:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    address = (parts.hostname or "127.0.0.1", parts.port or default_port)
    try:
        with socket.create_connection(address, 2):
            return True
    except OSError:
        return False


def ensure_browser_tools() -> str | None:
    """Chromium (Debian's) and axe-core (npm). Installs them when we may; else a reason."""
    apt = shutil.which("apt-get") and os.geteuid() == 0
    missing = [
        p for p, b in (("chromium", "/usr/bin/chromium"), ("npm", "npm")) if not shutil.which(b)
    ]
    if missing and apt:
        say(f"Installing {', '.join(missing)} with apt-get")
        subprocess.run(["apt-get", "update", "-qq"], check=False)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", *missing],
            check=False,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
    if not shutil.which("/usr/bin/chromium"):
        return "Chromium is not installed (apt-get install chromium)"
    needed = ("axe-core/axe.min.js", "barcode-detector/dist/iife/ponyfill.js")
    if not all((ROOT / "node_modules" / path).exists() for path in needed):
        if not shutil.which("npm"):
            return "npm is not installed (apt-get install npm)"
        say("Installing axe-core and the QR scanner from the npm lock file")
        run(["npm", "ci", "--no-audit", "--no-fund", "--silent"])
    return None


def cmd_test(args: list[str]) -> None:
    python = ensure_venv(".venv-test", "requirements-dev.lock")
    bin_dir = python.parent
    env = base_env(MARKTPLATZ_FAST_HASHER="true", MARKTPLATZ_VAR_DIR=str(ROOT / "var" / "test"))
    env.pop("DATABASE_URL", None)
    prepare(python, env)
    say("Lint: ruff, formatting, import layers")
    run([str(bin_dir / "ruff"), "check", "."], env=env)
    run([str(bin_dir / "ruff"), "format", "--check", "."], env=env)
    run([str(bin_dir / "lint-imports")], env=env)
    pytest = [str(python), "-m", "pytest", *args]

    say("Tests on SQLite")
    run([*pytest, "-m", "not browser"], env=env)

    say("Tests on PostgreSQL")
    url = postgres_url()
    if url:
        pg_env = {**env, "DATABASE_URL": url}
        # With PostgreSQL comes the production cache: Redis (rate limits, 2FA replay guard).
        redis_url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
        if _reachable(redis_url, default_port=6379):
            pg_env["REDIS_URL"] = redis_url
        elif CI:
            sys.exit("Redis is not reachable; CI runs the PostgreSQL suite with Redis.")
        run([*pytest, "-m", "not browser"], env=pg_env)
    elif CI:
        sys.exit("PostgreSQL is not reachable; CI must run the PostgreSQL suite.")
    else:
        print(f"SKIPPED: no PostgreSQL at {PG_DEFAULT_URL} (set TEST_DATABASE_URL)")

    say("Browser tests (Chromium, axe-core)")
    reason = ensure_browser_tools()
    if reason is None:
        run([*pytest, "-m", "browser"], env=env)
    elif CI:
        sys.exit(f"Browser tests cannot run: {reason}")
    else:
        print(f"SKIPPED: {reason}")
    say("All tests passed")


COMMANDS = {"demo": cmd_demo, "test": cmd_test, "totp": cmd_totp}

if __name__ == "__main__":
    if sys.version_info < (3, 11):
        sys.exit("Marktplatz needs Python 3.11 or newer.")
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]](sys.argv[2:])
