"""Employee lists uploaded as CSV by an employer: checked row by row in a background
task (its progress shown while it runs), then saved all together, or not at all when any
row is bad. The report names every bad row with its line number and the reason.

Columns (header row; English or German names; comma or semicolon separated; UTF-8 or
Windows-1252 as Excel writes it): personnel_number, first_name, last_name, email,
card_number, monthly_amount. A known personnel number updates that employee.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from marktplatz.audit.services import audit_record
from marktplatz.core.money import parse_money
from marktplatz.core.tenancy import city_scope, scopes_disabled
from marktplatz.ledger.errors import LedgerError
from marktplatz.loyalty.services import card_lookup
from marktplatz.purses.models import Employee, EmployeeImport
from marktplatz.purses.services import rules_for

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 10_000
PROGRESS_EVERY = 100

COLUMNS = {
    "personnel_number": ("personnel_number", "personalnummer", "personnel number"),
    "first_name": ("first_name", "vorname", "first name"),
    "last_name": ("last_name", "nachname", "last name", "name"),
    "email": ("email", "e-mail", "mail"),
    "card_number": ("card_number", "kartennummer", "card number", "karte"),
    "monthly_amount": ("monthly_amount", "monatsbetrag", "monthly amount", "betrag"),
}
REQUIRED = ("personnel_number", "first_name", "last_name")


class ImportRefused(ValueError):
    """The file as a whole cannot be read (not the fault of one row)."""


def decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise ImportRefused(_("The file is too large (at most 2 MB)."))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def import_start(*, employer: Any, actor: Any, file_name: str, data: bytes) -> EmployeeImport:
    """Record the upload and queue its check; ImportRefused for an unreadable file."""
    text = decode(data)
    if not text.strip():
        raise ImportRefused(_("The file is empty."))
    job = EmployeeImport.objects.create(
        city=employer.city,
        employer=employer,
        uploaded_by=actor,
        file_name=file_name[:200],
        content=text,
    )
    transaction.on_commit(lambda: employee_import_run.enqueue(job.pk))
    return job


def _header(row: list[str]) -> dict[str, int]:
    names = [cell.strip().lower() for cell in row]
    found = {}
    for key, aliases in COLUMNS.items():
        for index, name in enumerate(names):
            if name in aliases:
                found[key] = index
                break
    return found


def _rows(text: str) -> tuple[dict[str, int], list[tuple[int, list[str]]]]:
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows = [(reader.line_num, row) for row in reader if any(cell.strip() for cell in row)]
    if not rows:
        raise ImportRefused(_("The file is empty."))
    header = _header(rows[0][1])
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise ImportRefused(
            _("The header row lacks the column(s) %(columns)s.") % {"columns": ", ".join(missing)}
        )
    if len(rows) - 1 > MAX_ROWS:
        raise ImportRefused(_("At most %(max)d employees per file.") % {"max": MAX_ROWS})
    return header, rows[1:]


def _check_row(
    job: EmployeeImport, header: dict[str, int], row: list[str], seen: dict, limit: int
) -> tuple[dict | None, str]:
    def cell(name: str) -> str:
        index = header.get(name)
        return row[index].strip() if index is not None and index < len(row) else ""

    values = {name: cell(name) for name in COLUMNS}
    for name in REQUIRED:
        if not values[name]:
            return None, _("%(column)s is empty.") % {"column": name}
    if len(values["personnel_number"]) > 32:
        return None, _("The personnel number is longer than 32 characters.")
    if len(values["first_name"]) > 60 or len(values["last_name"]) > 60:
        return None, _("A name is longer than 60 characters.")
    if values["personnel_number"] in seen["numbers"]:
        return None, _("The personnel number %(number)s is in line %(line)d already.") % {
            "number": values["personnel_number"],
            "line": seen["numbers"][values["personnel_number"]],
        }
    if values["email"]:
        try:
            validate_email(values["email"])
        except ValidationError:
            return None, _("%(email)s is not an e-mail address.") % {"email": values["email"]}
    card = None
    if values["card_number"]:
        try:
            card = card_lookup(city=job.city, identifier=values["card_number"])
        except LedgerError:
            return None, _("No active city card with the number %(number)s.") % {
                "number": values["card_number"]
            }
        if card.pk in seen["cards"]:
            return None, _("The card %(number)s is in line %(line)d already.") % {
                "number": values["card_number"],
                "line": seen["cards"][card.pk],
            }
    amount = None
    if values["monthly_amount"]:
        try:
            amount = parse_money(values["monthly_amount"])
        except forms.ValidationError as error:
            return None, str(error.messages[0])
        if amount > limit:
            return None, _("The monthly amount is above the tax-free limit.")
    return {
        "personnel_number": values["personnel_number"],
        "first_name": values["first_name"],
        "last_name": values["last_name"],
        "email": values["email"],
        "card": card,
        "monthly_amount_minor": amount,
    }, ""


def import_run(job: EmployeeImport) -> EmployeeImport:
    """Check every row (saving the progress as it goes), then save all rows or none."""
    EmployeeImport.objects.filter(pk=job.pk).update(status=EmployeeImport.Status.CHECKING)
    try:
        header, rows = _rows(job.content)
    except ImportRefused as error:
        return _finish(job, EmployeeImport.Status.FAILED, [{"line": 1, "reason": str(error)}])
    EmployeeImport.objects.filter(pk=job.pk).update(rows_total=len(rows))
    limit = rules_for(city=job.city).monthly_limit_minor
    seen: dict[str, dict] = {"numbers": {}, "cards": {}}
    good, report = [], []
    for done, (line, row) in enumerate(rows, start=1):
        values, reason = _check_row(job, header, row, seen, limit)
        if values is None:
            report.append({"line": line, "reason": reason})
        else:
            seen["numbers"][values["personnel_number"]] = line
            if values["card"] is not None:
                seen["cards"][values["card"].pk] = line
            good.append(values)
        if done % PROGRESS_EVERY == 0:
            EmployeeImport.objects.filter(pk=job.pk).update(rows_done=done)
    if report:
        return _finish(job, EmployeeImport.Status.FAILED, report)
    created = updated = 0
    with transaction.atomic():
        known = {
            employee.personnel_number: employee
            for employee in Employee.objects.select_for_update().filter(employer=job.employer)
        }
        for values in good:
            employee = known.get(values["personnel_number"])
            if employee is None:
                Employee.objects.create(city=job.city, employer=job.employer, **values)
                created += 1
            else:
                for name, value in values.items():
                    setattr(employee, name, value)
                employee.is_active = True
                employee.save()
                updated += 1
        audit_record(
            city=job.city, actor=job.uploaded_by, action="employer.employees_imported",
            obj=job, data={"created": created, "updated": updated},
        )  # fmt: skip
        EmployeeImport.objects.filter(pk=job.pk).update(created=created, updated=updated)
        return _finish(job, EmployeeImport.Status.DONE, [])


def _finish(job: EmployeeImport, status: str, report: list[dict]) -> EmployeeImport:
    EmployeeImport.objects.filter(pk=job.pk).update(
        status=status, report=report, finished_at=timezone.now()
    )
    job.refresh_from_db()
    return job


@task()
def employee_import_run(job_id: int) -> None:
    with scopes_disabled():
        job = EmployeeImport.objects.select_related("city", "employer").get(pk=job_id)
    with city_scope(job.city):
        import_run(job)
