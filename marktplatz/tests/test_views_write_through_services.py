"""Views write nothing themselves: every write goes through a service, which records its
audit event in the same transaction. This reads every views module and fails on an ORM
write (``.save()``, ``.create()``, ``.update()``, ``.delete()``, …) or an
``audit_record`` call in a view."""

from __future__ import annotations

import ast
from pathlib import Path

import marktplatz

ROOT = Path(marktplatz.__file__).parent
WRITES = {
    "save",
    "create",
    "update",
    "delete",
    "bulk_create",
    "bulk_update",
    "get_or_create",
    "update_or_create",
    "audit_record",
    # joins the town on the way: pages join only through the explicit member_join POST.
    "member_for_user",
}
# Calls named like a write that are not ORM writes.
ALLOWED = {
    # form.save(commit=False) builds an unsaved instance for a service to save.
    "save(commit=False)",
}


def view_modules() -> list[Path]:
    return sorted(p for p in ROOT.glob("*/views*.py")) + sorted(ROOT.glob("*/views/*.py"))


def writes_in(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if name not in WRITES:
            continue
        text = ast.unparse(node)
        rel = f"{path.parent.name}/{path.name}"
        if any(text.endswith(allowed) for allowed in ALLOWED) or f"{rel}:{text}" in ALLOWED:
            continue
        # hashlib/hmac/dict .update() and similar are not ORM writes.
        if name == "update" and isinstance(func, ast.Attribute):
            target = ast.unparse(func.value)
            if not ("objects" in target or "filter(" in target or target.endswith("_set")):
                continue
        if (
            name == "create"
            and isinstance(func, ast.Attribute)
            and "objects" not in ast.unparse(func.value)
        ):
            continue
        if name == "delete" and isinstance(func, ast.Attribute):
            target = ast.unparse(func.value)
            if target in {"request.session", "response"}:
                continue
        found.append(f"{rel}:{node.lineno}: {text}")
    return found


def test_the_check_finds_a_direct_write(tmp_path):
    sample = tmp_path / "views.py"
    sample.write_text(
        "def view(request):\n"
        "    thing = Thing.objects.get(pk=1)\n"
        "    thing.save()\n"
        "    Thing.objects.create(name='x')\n"
        "    Thing.objects.filter(pk=1).update(name='y')\n"
        "    form.save(commit=False)\n"
        "    digest.update(b'x')\n"
    )
    assert [line.split(": ", 1)[1] for line in writes_in(sample)] == [
        "thing.save()",
        "Thing.objects.create(name='x')",
        "Thing.objects.filter(pk=1).update(name='y')",
    ]


def test_no_view_writes_directly():
    assert view_modules(), "no views found"
    found = [line for path in view_modules() for line in writes_in(path)]
    assert found == [], "write through a service (with its audit record):\n" + "\n".join(found)


# Views allowed to load by a code themselves (none today; name the reason if one must).
LOADS_ALLOWED: set[str] = set()


def loads_in(path: Path) -> list[str]:
    """Object look-ups by code in a view (``X.objects.filter(code=…)``, ``get(code=…)``,
    ``get_object_or_404``): those belong in an ``access_*`` selector that checks the town
    and the role."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if getattr(func, "id", None) == "get_object_or_404":
            found.append(f"{path.parent.name}/{path.name}:{node.lineno}: {ast.unparse(node)}")
            continue
        if not (isinstance(func, ast.Attribute) and func.attr in {"get", "filter"}):
            continue
        by_code = any(k.arg and k.arg.split("__")[-1] == "code" for k in node.keywords)
        if by_code and "objects" in ast.unparse(func.value):
            found.append(f"{path.parent.name}/{path.name}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_the_load_check_finds_a_look_up_by_code(tmp_path):
    sample = tmp_path / "views.py"
    sample.write_text(
        "def view(request, code):\n"
        "    a = Thing.objects.filter(code=code).first()\n"
        "    b = get_object_or_404(Thing, code=code)\n"
        "    c = Thing.objects.filter(status='open')\n"
    )
    assert len(loads_in(sample)) == 2


def test_views_load_objects_through_access_selectors():
    found = [
        line
        for path in view_modules()
        if f"{path.parent.name}/{path.name}" not in LOADS_ALLOWED
        for line in loads_in(path)
    ]
    assert found == [], "load it through an access_* selector:\n" + "\n".join(found)
