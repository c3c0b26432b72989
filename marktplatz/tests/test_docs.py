"""The docs describe what exists.

README.md and docs/*.md name management commands, files, modules and functions, the
environment variables, the apps and their layers, the demo logins and how to make the
first superuser. Each test here reads the docs and checks one kind of statement against
the code, so a rename or a removal that leaves the docs behind fails here.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import time
import tomllib
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core import mail
from django.core.management import call_command, get_commands
from django.db import connection
from django.utils import translation

from marktplatz.accounts.permissions import MONEY_ACTIONS
from marktplatz.testing import factories

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
APPS = sorted(
    name.split(".")[1]
    for name in settings.INSTALLED_APPS
    if name.startswith("marktplatz.") and name.count(".") == 1
)
# Products of the vision that are not built: the docs may name them only as planned.
# The parts of the vision not built yet (the City Messenger is built).
NOT_BUILT = re.compile(r"open311|walking tours|analytics", re.IGNORECASE)


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _code_spans(text: str) -> list[str]:
    """Everything written `like this` (inline code), code blocks left out."""
    prose = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    return re.findall(r"`([^`\n]+)`", prose)


def _section(text: str, heading: str) -> str:
    """The text below ``heading`` up to the next heading of the same or a higher level."""
    level = len(heading) - len(heading.lstrip("#"))
    lines = text[text.index(heading + "\n") + len(heading) + 1 :].splitlines(keepends=True)
    body, fenced = [], False
    for line in lines:
        fenced ^= line.startswith("```")
        if not fenced and re.match(rf"#{{1,{level}}} ", line):
            break
        body.append(line)
    return "".join(body)


def _table_rows(text: str) -> list[list[str]]:
    """The body rows of the first Markdown table in ``text``, as lists of cells."""
    rows = []
    for line in text.splitlines():
        if not line.startswith("|"):
            if rows:
                break
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if set("".join(cells)) <= set("-: "):
            continue
        rows.append(cells)
    return rows[1:]


def _resolves(dotted: str) -> bool:
    """Whether ``marktplatz.<app>.…`` (or ``<app>.Model``) names something that exists."""
    parts = dotted.split(".")
    if parts[0] != "marktplatz":
        parts = ["marktplatz", *parts]
    if len(parts) == 3 and parts[2][:1].isupper():
        try:
            apps.get_model(parts[1], parts[2])
            return True
        except LookupError:
            pass
    for split in range(len(parts), 1, -1):
        try:
            target = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        try:
            for name in parts[split:]:
                target = getattr(target, name)
        except AttributeError:
            return False
        return True
    return False


def _app_names(app: str) -> set[str]:
    """Every name defined at the top of any module of ``app`` (tests and migrations aside)."""
    package = importlib.import_module(f"marktplatz.{app}")
    names = set(vars(package))
    for info in pkgutil.walk_packages(package.__path__, f"marktplatz.{app}."):
        if any(part in info.name for part in (".tests", ".migrations", ".management")):
            continue
        if info.name == "marktplatz.api.anchor":
            continue  # registers the benchmark's route when imported (POS_BENCH_ANCHOR only)
        names |= set(vars(importlib.import_module(info.name)))
    return names


def test_every_management_command_named_in_the_docs_exists():
    commands = set(get_commands())
    dev_commands = set(re.findall(r'"(\w+)": cmd_', _read(ROOT / "dev.py")))
    named, missing = set(), []
    for doc in DOCS:
        text = _read(doc)
        for command in re.findall(r"manage\.py\s+([a-z][a-z0-9_]*)", text):
            named.add(command)
            if command not in commands:
                missing.append(f"{doc.name}: manage.py {command}")
        for command in re.findall(r"dev\.py\s+([a-z]+)", text):
            if command not in dev_commands:
                missing.append(f"{doc.name}: dev.py {command}")
    assert {"createsuperuser", "migrate", "ledger_verify", "settle_month"} <= named
    assert missing == []


def test_every_file_named_in_the_docs_exists():
    extensions = (".py", ".md", ".toml", ".lock", ".json", ".html", ".txt", ".png")
    checked, missing = 0, []
    for doc in DOCS:
        text = _read(doc)
        # Links are relative to the document; code spans to the checkout or marktplatz/.
        links = [(name, [doc.parent]) for name in re.findall(r"\]\(([^)\s#]+)", text)]
        spans = [(name, [ROOT, ROOT / "marktplatz"]) for name in _code_spans(text)]
        for name, bases in links + spans:
            if "://" in name or "<" in name or " " in name or name.startswith(("/", "var/")):
                continue
            path, _sep, test_name = name.partition("::")
            if ("/" not in path and not path.endswith(".md")) or not (
                path.endswith(extensions) or path.endswith("/")
            ):
                continue
            found = [base / path for base in bases if (base / path).exists()]
            checked += 1
            if not found:
                missing.append(f"{doc.name}: {name}")
            elif test_name and f"def {test_name}(" not in _read(found[0]):
                missing.append(f"{doc.name}: {name} (no such test)")
    assert checked > 10
    assert missing == []


def test_every_module_and_function_named_in_the_docs_exists():
    dotted = re.compile(rf"^(?:marktplatz\.)?(?:{'|'.join(APPS)})(?:\.[A-Za-z_]\w*)+$")
    checked, missing = 0, []
    for doc in DOCS:
        for span in _code_spans(_read(doc)):
            name = span.split("(")[0].strip()
            if name in MONEY_ACTIONS:
                continue  # "settlement.run" is an action's name, see the next test
            if name.startswith("settings."):
                checked += 1
                if not hasattr(settings, name.split(".", 1)[1]):
                    missing.append(f"{doc.name}: {span}")
            elif dotted.match(name):
                checked += 1
                if not _resolves(name):
                    missing.append(f"{doc.name}: {span}")
    assert checked > 20
    assert missing == []


def test_every_function_written_as_a_call_in_the_docs_exists():
    """`name(...)` in the docs: a Python function of the project, a PL/pgSQL one, or
    Django's URL helpers (`reverse()`)."""
    from django import urls

    source = "\n".join(_read(path) for path in (ROOT / "marktplatz").rglob("*.py"))
    defined = set(re.findall(r"def (\w+)\(", source))
    defined |= set(re.findall(r"CREATE OR REPLACE FUNCTION (\w+)\(", source))
    named, missing = set(), []
    for doc in DOCS:
        for span in _code_spans(_read(doc)):
            call = re.fullmatch(r"([a-z_][a-z0-9_]*)\(.*\)", span)
            if call:
                named.add(call.group(1))
                if call.group(1) not in defined and not hasattr(urls, call.group(1)):
                    missing.append(f"{doc.name}: {span}")
    assert {"loyalty_earn", "ledger_post", "role_required"} <= named
    assert missing == []


def test_every_name_with_an_underscore_in_the_docs_is_in_the_code():
    """Functions, fields, settings, outcomes: a `snake_case` name the docs use must occur
    in the project's code (a renamed function, field or outcome leaves its old name)."""
    source = "\n".join(
        _read(path)
        for pattern in ("marktplatz/**/*.py", "marktplatz/**/*.html", "bench/*", "dev.py")
        for path in ROOT.glob(pattern)
        if path.is_file()
    )
    words = set(re.findall(r"\w+", source))
    checked, missing = 0, []
    for doc in DOCS:
        for span in _code_spans(_read(doc)):
            name = re.sub(r"\(.*\)$", "", span)
            if re.fullmatch(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+", name):
                checked += 1
                if name not in words:
                    missing.append(f"{doc.name}: {span}")
    assert checked > 50
    assert missing == []


def test_the_money_actions_in_the_docs_are_the_ones_the_code_checks():
    rows = _table_rows(
        _section(_read(ROOT / "docs/permissions.md"), "## Money actions need a second factor")
    )
    assert [row[0].split("`")[1] for row in rows] == list(MONEY_ACTIONS)


def test_the_architecture_lists_every_app_in_its_layer_with_what_it_owns():
    text = _read(ROOT / "docs" / "architecture.md")
    diagram = re.search(
        r"```\n(.*?)```",
        _section(text, "## Apps and the direction of their dependencies"),
        re.DOTALL,
    )
    layers = []
    for line in diagram.group(1).splitlines():
        if line and not line[0].isspace():
            layers.append(re.split(r"\s{2,}|\s\(", line)[0].strip())
    contract = tomllib.loads(_read(ROOT / "pyproject.toml"))["tool"]["importlinter"]
    expected = [layer.replace("marktplatz.", "") for layer in contract["contracts"][0]["layers"]]
    assert layers == expected

    rows = _table_rows(_section(text, "## Apps and the direction of their dependencies"))
    assert sorted(row[0].strip("`") for row in rows) == APPS
    commands = get_commands()
    missing = []
    for row in rows:
        app = row[0].strip("`")
        names = _app_names(app)
        for span in re.findall(r"`([^`]+)`", row[1]):
            name = span.split("(")[0]
            if not re.fullmatch(r"[A-Za-z_]\w*", name):
                continue  # dotted names, paths and URLs are checked above
            if name not in names and commands.get(name) != f"marktplatz.{app}":
                missing.append(f"{app}: {name}")
    assert missing == []


def test_every_environment_variable_the_settings_read_is_documented():
    read = set(
        re.findall(
            r'env_(?:str|bool|int|list)\(\s*"([A-Z_]+)"', _read(ROOT / "marktplatz/settings.py")
        )
    )
    read |= set(
        re.findall(r'os\.environ\.get\("([A-Z_]+)"\)', _read(ROOT / "marktplatz/core/env.py"))
    )
    rows = _table_rows(
        _section(_read(ROOT / "docs/operations.md"), "## Settings (environment variables)")
    )
    documented = {name for row in rows for name in re.findall(r"`([A-Z_]+)`", row[0])}
    assert "SECRET_KEY" in read
    assert sorted(read - documented) == []
    assert sorted(documented - read) == []


@pytest.mark.django_db
def test_the_documented_postgresql_version_is_the_one_required_and_tested():
    from django.db.backends.postgresql.features import DatabaseFeatures

    rows = _table_rows(_section(_read(ROOT / "docs/operations.md"), "## What it needs"))
    postgres = next(row for row in rows if row[0] == "PostgreSQL")
    assert (
        int(re.match(r"\d+", postgres[1]).group()) == DatabaseFeatures.minimum_database_version[0]
    )
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        tested = [int(n) for n in re.findall(r"\b(\d\d)\b", postgres[2])]
        assert connection.pg_version // 10000 in tested


def test_unbuilt_parts_of_the_vision_are_named_only_as_planned():
    readme = _read(ROOT / "README.md")
    planned = _section(readme, "### Planned, not built yet")
    outside = readme.replace(planned, "")
    assert NOT_BUILT.findall(planned)
    assert NOT_BUILT.findall(outside) == []
    for doc in DOCS[1:]:
        for paragraph in _read(doc).split("\n\n"):
            if NOT_BUILT.search(paragraph):
                assert re.search(r"not built|planned", paragraph), (doc.name, paragraph)


@pytest.mark.django_db
def test_the_demo_login_table_is_what_the_demo_makes():
    from allauth.mfa.models import Authenticator

    from marktplatz.accounts.demo_data import ensure_superuser
    from marktplatz.accounts.models import Role, RoleKind, User
    from marktplatz.cities.demo_data import ensure_city
    from marktplatz.core.tenancy import city_scope
    from marktplatz.demo import registry

    logins = []
    for town in registry.TOWNS:
        city = ensure_city(town)
        with city_scope(city):
            for module in registry.SEEDERS[:3]:  # towns, businesses, the logins
                seeder = importlib.import_module(module)
                rng = __import__("random").Random(f"marktplatz-demo-{town.slug}-{module}")
                seeder.seed(city=city, town=town, rng=rng, out=logins, citizens=0)
    logins.insert(0, ensure_superuser())

    readme = _read(ROOT / "README.md")
    assert f"The password of every\ndemo login is `{registry.DEMO_PASSWORD}`" in readme
    rows = _table_rows(_section(readme, "## The demo towns and their logins"))
    with translation.override("en"):
        labels = {str(kind.label).lower(): kind for kind in RoleKind}
    table = set()
    for role, *emails, second_factor in rows:
        for email in filter(None, emails):
            table.add(email)
            user = User.objects.get(email=email)
            assert user.check_password(registry.DEMO_PASSWORD), email
            if role.startswith("platform superuser"):
                assert user.is_superuser, email
            else:
                assert Role.objects.filter(user=user, kind=labels[role]).exists(), (role, email)
            has_totp = Authenticator.objects.filter(user=user, type="totp").exists()
            assert has_totp == (second_factor == "TOTP"), email
    assert {email for _town, _role, email, _note in logins} == table


@pytest.mark.django_db
def test_the_first_superuser_is_made_as_the_operations_doc_says(client, monkeypatch):
    """createsuperuser without prompts, then the first login: e-mail code, TOTP, admin."""
    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    steps = _section(_read(ROOT / "docs/operations.md"), "## The first platform superuser")
    assert "createsuperuser --no-input" in steps
    assert "DJANGO_SUPERUSER_EMAIL" in steps and "DJANGO_SUPERUSER_PASSWORD" in steps
    password = "a-long-first-Password-2026"
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "Root@Example.org")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", password)
    call_command("createsuperuser", interactive=False, verbosity=0)
    from marktplatz.accounts.models import User

    user = User.objects.get()
    assert (user.email, user.is_staff, user.is_superuser) == ("root@example.org", True, True)

    assert client.get("/admin/", follow=True).redirect_chain[-1][0].startswith("/accounts/login/")
    answer = client.post("/accounts/login/", {"login": "root@example.org", "password": password})
    # 1. The e-mail address is confirmed with a code sent to it.
    assert answer.url == "/accounts/confirm-email/"
    code = re.search(r"^([A-Z0-9]{4}-[A-Z0-9]{4})$", mail.outbox[-1].body, re.MULTILINE)
    assert client.post("/accounts/confirm-email/", {"code": code.group(1)}).status_code == 302
    # 2. No page opens before TOTP is set up; the set-up asks for the password again.
    assert client.get("/admin/").url.startswith("/accounts/2fa/totp/activate/")
    client.post("/accounts/reauthenticate/", {"password": password})
    page = client.get("/accounts/2fa/totp/activate/")
    secret = re.search(r'id="authenticator_secret"[^>]*value="([A-Z2-7]+)"', page.content.decode())
    secret = secret or re.search(
        r'value="([A-Z2-7]+)"[^>]*id="authenticator_secret"', page.content.decode()
    )
    period = app_settings.TOTP_PERIOD
    if period - time.time() % period < 2:  # allauth allows no tolerance: wait for the next
        time.sleep(period - time.time() % period + 0.1)
    counter = int(time.time()) // period
    client.post(
        "/accounts/2fa/totp/activate/",
        {"code": format_hotp_value(hotp_value(secret.group(1), counter))},
    )
    assert user.authenticator_set.filter(type="totp").exists()
    # Then the admin opens, and a town can be added.
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/cities/city/add/").status_code == 200


@pytest.mark.parametrize("language", ["de", "en", "fr", "it"])
def test_city_staff_are_told_their_reports_are_not_built(client, town_a, language):
    """The one role whose work is not built yet: its start page says so, in every
    language, instead of promising reports that no citizen can send."""
    department = factories.department(city=town_a)
    staff = factories.person("clerk@example.org", town_a, "city_staff", department=department)
    client.force_login(staff)
    client.cookies["mp_language"] = language
    page = client.get(f"/{town_a.slug}/").content.decode()
    with translation.override(language):
        assert translation.gettext("Nothing to do here yet.") in page
        expected = translation.gettext(
            "Citizens' reports to the city departments are planned but not built; "
            "your role is ready for them."
        )
    assert expected in page
    assert "listed here for triage" not in page
