"""What the benchmarks in this folder share: the project's virtual environment, a fresh
PostgreSQL database migrated for the run, shell commands from the project root."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent


def ensure_venv_python(script: str) -> None:
    """Re-run ``script`` inside the project's runtime virtual environment."""
    sys.path.insert(0, str(ROOT))
    from dev import ensure_venv

    python = ensure_venv(".venv", "requirements.lock")
    if Path(sys.executable).resolve() != python.resolve() and not os.environ.get("BENCH_IN_VENV"):
        os.environ["BENCH_IN_VENV"] = "1"
        os.execv(str(python), [str(python), script, *sys.argv[1:]])


def sh(cmd: list[str], env: dict | None = None, capture: bool = False) -> str:
    result = subprocess.run(cmd, cwd=ROOT, env=env, check=True, text=True, capture_output=capture)
    return result.stdout if capture else ""


def psql_admin(url: str) -> list[str]:
    parts = urlsplit(url)
    return [
        "psql", "-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432),
        "-U", parts.username or "postgres", "-d", "postgres", "-q", "-c",
    ]  # fmt: skip


def prepare_database(url: str, env: dict) -> None:
    """Drop and create the database of ``url``, then migrate it."""
    admin = psql_admin(url)
    name = urlsplit(url).path.lstrip("/")
    sh([*admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'])
    sh([*admin, f'CREATE DATABASE "{name}"'])
    sh([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], env=env)
    sh([sys.executable, "manage.py", "compiletranslations", "-v", "0"], env=env)


def django_env(url: str) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DATABASE_CONN_MAX_AGE": "600",
        "DEBUG": "false",
        "HTTPS": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "ERROR",
        "DJANGO_SETTINGS_MODULE": "marktplatz.settings",
    }
    env.pop("REDIS_URL", None)
    return env
