"""Employer benefits and the card purse: CSV upload (all or nothing, every bad row
reported), the monthly load within the tax-free limit, paying with the card, the monthly
invoice (ZUGFeRD) paid by bank statement, payroll CSV, and a voucher loaded onto a card."""

import csv
import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import translation
from drafthorse.models.document import Document
from pypdf import PdfReader

from marktplatz.accounts.models import RoleKind
from marktplatz.ledger.selectors import ledger_verify
from marktplatz.loyalty import services as loyalty
from marktplatz.purses import imports, invoicing, services
from marktplatz.purses.models import BenefitLoad, Employee, EmployeeImport, EmployerInvoice
from marktplatz.settlement import bank
from marktplatz.settlement import services as settlement
from marktplatz.testing import factories
from marktplatz.testing.camt import camt053
from marktplatz.testing.einvoice import pdfa3_problems, schematron_report
from marktplatz.vouchers import services as vouchers
from marktplatz.vouchers.errors import VoucherInsufficient, VoucherOnCard
from marktplatz.vouchers.models import Voucher, VoucherProduct


@pytest.fixture
def employer(town_a):
    town_a.bank_account_holder = "Stadtmarketing Altdorf"
    town_a.bank_iban = "DE89370400440532013000"
    town_a.postal_code, town_a.postal_town = "79600", "Altdorf"
    town_a.save()
    firm = factories.employer(city=town_a, name="Stadtwerke Altdorf")
    firm.street, firm.postcode, firm.locality = "Werkstr. 1", "79600", "Altdorf"
    firm.save()
    return firm


@pytest.fixture
def cards(town_a):
    made = []
    for number in range(3):
        user = factories.user(f"staff{number}@example.org")
        made.append(loyalty.member_for_user(city=town_a, user=user).cards.get())
    return made


def employee_csv(cards, extra: str = "") -> bytes:
    rows = [
        "Personalnummer;Vorname;Nachname;E-Mail;Kartennummer;Monatsbetrag",
        f"1001;Anna;Adler;anna@example.org;{cards[0].number};",
        f"1002;Bernd;Berg;;{cards[1].number};30,00",
        "1003;Clara;Cord;clara@example.org;;",
    ]
    return ("\n".join(rows) + "\n" + extra).encode("utf-8-sig")


def run_import(employer, data, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = imports.import_start(employer=employer, actor=None, file_name="staff.csv", data=data)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("db_worker", "--batch", "--no-startup-delay")
    job.refresh_from_db()
    return job


@pytest.mark.django_db(transaction=True)
def test_an_employee_list_is_imported_by_the_background_task(
    employer, cards, django_capture_on_commit_callbacks
):
    job = run_import(employer, employee_csv(cards), django_capture_on_commit_callbacks)
    assert (job.status, job.created, job.updated, job.report) == ("done", 3, 0, [])
    assert (job.rows_total, job.percent) == (3, 100)
    anna = Employee.objects.get(personnel_number="1001")
    assert (anna.first_name, anna.card, anna.monthly_amount_minor) == ("Anna", cards[0], None)
    assert Employee.objects.get(personnel_number="1002").monthly_amount_minor == 3000
    assert Employee.objects.get(personnel_number="1003").card is None
    # The same list again with a change updates, never duplicates.
    changed = employee_csv(cards).replace(b"Anna;Adler", b"Anna;Adler-Uhl")
    again = run_import(employer, changed, django_capture_on_commit_callbacks)
    assert (again.status, again.created, again.updated) == ("done", 0, 3)
    assert Employee.objects.get(personnel_number="1001").last_name == "Adler-Uhl"


@pytest.mark.django_db(transaction=True)
def test_a_file_with_bad_rows_imports_nothing_and_names_every_bad_row(
    employer, cards, django_capture_on_commit_callbacks
):
    bad = employee_csv(
        cards,
        "1004;Dora;;dora@example.org;;\n"  # line 5: no last name
        "1001;Egon;Eck;;;\n"  # line 6: personnel number of line 2
        "1005;Fritz;Fink;kein-mail;;\n"  # line 7
        "1006;Gina;Gras;;9999-9999-9999;\n"  # line 8: no such card
        f"1007;Hans;Hahn;;{cards[0].number};\n"  # line 9: card of line 2
        "1008;Ida;Iltis;;;99,00\n",  # line 10: above the limit
    )
    job = run_import(employer, bad, django_capture_on_commit_callbacks)
    assert job.status == "failed"
    assert [row["line"] for row in job.report] == [5, 6, 7, 8, 9, 10]
    reasons = " | ".join(row["reason"] for row in job.report)
    assert "last_name" in reasons and "kein-mail" in reasons and "9999-9999-9999" in reasons
    assert not Employee.objects.exists(), "nothing from the file is half-imported"
    header_only = run_import(employer, b"name,foo\nx,y\n", django_capture_on_commit_callbacks)
    assert header_only.status == "failed" and "personnel_number" in header_only.report[0]["reason"]
    with pytest.raises(imports.ImportRefused):
        imports.import_start(employer=employer, actor=None, file_name="e.csv", data=b"  \n")


@pytest.fixture
def staff(employer, cards, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = imports.import_start(
            employer=employer, actor=None, file_name="s.csv", data=employee_csv(cards)
        )
    imports.import_run(job)  # the task's work, in this test's transaction
    return list(Employee.objects.order_by("personnel_number"))


def test_the_monthly_load_respects_the_tax_free_limit_and_is_done_once_per_run(
    employer, staff, cards
):
    with translation.override("en"):
        preview = services.benefits_preview(employer=employer)
        outcomes = services.benefits_load(employer=employer, run_key="run-1")
    assert [(o.employee.personnel_number, o.amount_minor) for o in outcomes] == [
        ("1001", 5000), ("1002", 3000), ("1003", 0)
    ]  # fmt: skip
    assert [(o.amount_minor, o.reason) for o in preview] == [
        (o.amount_minor, o.reason) for o in outcomes
    ]
    assert outcomes[2].reason == "no active city card"
    # The same confirmation sent twice: nothing more, and the same answer.
    with translation.override("en"):
        again = services.benefits_load(employer=employer, run_key="run-1")
    assert [(o.employee, o.amount_minor, o.reason) for o in again] == [
        (o.employee, o.amount_minor, o.reason) for o in outcomes
    ]
    assert BenefitLoad.objects.count() == 2
    services.benefits_load(employer=employer, run_key="run-1")
    assert services.purse_balance(card=cards[0]) == 5000
    assert services.purse_balance(card=cards[1]) == 3000
    # The employer owes what it loaded.
    assert vouchers.voucher_figures(city=employer.city)["owed_by_employers"] == 8000
    assert settlement.money_check(city=employer.city) == []


def test_a_second_load_run_in_the_month_loads_nobody_twice(employer, staff, cards):
    """The demo's second click loaded another 30.00 for Bernd (30.00 a month) up to the
    50.00 limit: a month's benefit is loaded once per employee, whatever the run."""
    month = services.month_of(city=employer.city)
    services.benefits_load(employer=employer, run_key="run-1")
    with translation.override("en"):
        preview = services.benefits_preview(employer=employer)
        second = services.benefits_load(employer=employer, run_key="run-2")
    assert [(o.amount_minor, o.reason) for o in second] == [
        (0, "already loaded for this month"), (0, "already loaded for this month"),
        (0, "no active city card"),
    ]  # fmt: skip
    assert not any(o.pending for o in preview)
    assert services.loaded_in_month(employee=staff[1], month=month) == 3000
    assert services.purse_balance(card=cards[1]) == 3000
    # The database holds it too, whatever code writes the load.
    from django.db import IntegrityError, transaction

    first = BenefitLoad.objects.get(employee=staff[1])
    with pytest.raises(IntegrityError), transaction.atomic():
        BenefitLoad.objects.create(
            city=employer.city, employer=employer, employee=staff[1], month=month,
            amount_minor=100, voucher=Voucher.objects.exclude(pk=first.voucher_id).first(),
            run_key="sneaky",
        )  # fmt: skip
    # The next month loads again.
    later = dt.datetime.combine(month + dt.timedelta(days=40), dt.time(12), dt.UTC)
    next_month = services.benefits_load(employer=employer, run_key="run-3", now=later)
    assert [o.amount_minor for o in next_month] == [5000, 3000, 0]


def test_the_employer_confirms_what_is_loaded_and_a_second_click_changes_nothing(
    client, employer, staff, alice
):
    client.force_login(alice)
    url = f"/altdorf/employer/{employer.code}/load/"
    confirm = client.get(url)
    assert confirm.status_code == 200 and not BenefitLoad.objects.exists()
    text = confirm.content.decode()
    assert "80,00" in text and "Adler" in text and "Berg" in text
    key = confirm.context["load_form"]["key"].value()
    first = client.post(url, {"key": key})
    second = client.post(url, {"key": key})
    assert first.status_code == second.status_code == 200
    assert BenefitLoad.objects.count() == 2
    assert first.context["total"] == second.context["total"] == 8000
    assert [(o.employee, o.amount_minor) for o in first.context["outcomes"]] == [
        (o.employee, o.amount_minor) for o in second.context["outcomes"]
    ]
    # A new confirmation page (another tab, a reload): nothing left to load.
    later = client.get(url)
    assert later.context["count"] == 0 and f'action="{url}"' not in later.content.decode()
    client.post(url, {"key": later.context["load_form"]["key"].value()})
    assert BenefitLoad.objects.count() == 2
    from marktplatz.audit.models import AuditEvent

    assert AuditEvent.objects.filter(action="employer.benefits_loaded").count() == 1


def test_the_card_pays_from_benefit_then_gift_vouchers_in_one_transaction(
    employer, staff, cards, shop_a, town_a
):
    services.benefits_load(employer=employer, run_key="run-1")
    gift = vouchers.voucher_sell(
        product=VoucherProduct.objects.create(city=town_a, name="Gutschein", value_minor=2000)
    )
    services.voucher_load_onto_card(city=town_a, card=cards[0], code=gift.secret, actor=None)
    assert services.purse_balance(card=cards[0]) == 7000
    with pytest.raises(VoucherOnCard):
        vouchers.voucher_redeem(
            city=town_a, merchant=shop_a, code=gift.secret, amount_minor=100, idempotency_key="x"
        )
    paid = services.purse_pay(
        city=town_a, merchant=shop_a, card=cards[0], amount_minor=6000, idempotency_key="k1"
    )
    assert paid.created and paid.amount_minor == 6000 and paid.balance_after == 1000
    assert [(r.voucher.channel, r.amount_minor) for r in paid.redemptions] == [
        ("employer", 5000), ("counter", 1000)
    ]  # fmt: skip
    assert len({r.transaction_id for r in paid.redemptions}) == 1
    replay = services.purse_pay(
        city=town_a, merchant=shop_a, card=cards[0], amount_minor=6000, idempotency_key="k1"
    )
    assert not replay.created and replay.balance_after == 1000
    with pytest.raises(VoucherInsufficient) as refused:
        services.purse_pay(
            city=town_a, merchant=shop_a, card=cards[0], amount_minor=1001, idempotency_key="k2"
        )
    assert refused.value.details["balance"] == 1000 and "10,00" in str(refused.value.message)
    by_month = services.purse_by_month(card=cards[0])
    assert [(m["loaded"], m["spent"], m["left"]) for m in by_month] == [(5000, 5000, 0)]
    assert ledger_verify() == []
    assert settlement.money_check(city=town_a) == []


def test_the_month_is_invoiced_once_paid_by_bank_statement_and_payroll_exported(
    client, employer, staff, cards, town_a, django_capture_on_commit_callbacks
):
    services.benefits_load(employer=employer, run_key="run-1")
    month = services.month_of(city=town_a)
    with pytest.raises(invoicing.PurseError):
        invoicing.employer_invoices_issue(city=town_a, month=month)
    after = dt.datetime.combine(month + dt.timedelta(days=40), dt.time(12), dt.UTC)
    (invoice,) = invoicing.employer_invoices_issue(city=town_a, month=month, now=after)
    assert invoicing.employer_invoices_issue(city=town_a, month=month, now=after) == []
    assert (invoice.total_minor, invoice.loads, invoice.status) == (8000, 2, "open")
    pdf = invoicing.employer_invoice_pdf(invoice)
    xml = PdfReader(io.BytesIO(pdf)).attachments["factur-x.xml"][0]
    assert schematron_report(xml) == []  # EN 16931, warnings included
    assert pdfa3_problems(pdf) == []
    parsed = Document.parse(xml)
    assert str(parsed.trade.agreement.buyer.name) == "Stadtwerke Altdorf"
    assert len(parsed.trade.items.children) == 2
    statement = camt053(
        [{"amount": 8000, "reference": invoice.reference, "payer": "Stadtwerke"}],
        iban=town_a.bank_iban,
        currency="EUR",
    )
    (result,) = bank.bank_statement_import(city=town_a, data=statement, file_name="dez.xml")
    assert result.outcome == "paid"
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert bank.bank_statement_import(city=town_a, data=statement, file_name="d")[0].outcome == (
        "already_paid"
    )
    figures = vouchers.voucher_figures(city=town_a)
    assert figures["owed_by_employers"] == 0 and figures["taken_in"] == 8000
    assert settlement.money_check(city=town_a) == []
    # Payroll CSV for the employer's admin.
    admin = factories.person("hr@example.org", town_a, RoleKind.EMPLOYER_ADMIN, employer=employer)
    client.force_login(admin)
    response = client.get(f"/altdorf/employer/{employer.code}/payroll/{month:%Y-%m}.csv")
    assert response.content.startswith(b"\xef\xbb\xbf")  # Excel's format in a German town
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[1][:5] == ["1001", "Adler", "Anna", f"{month:%Y-%m}", "50,00"]
    assert rows[2][4] == "30,00" and len(rows) == 3
    plain = client.get(f"/altdorf/employer/{employer.code}/payroll/{month:%Y-%m}.csv?format=plain")
    assert list(csv.reader(io.StringIO(plain.content.decode())))[1][4] == "50.00"


def test_employer_pages_are_for_its_admins_and_the_operator_only(
    client, employer, staff, alice, dave, town_a, town_b
):
    url = f"/altdorf/employer/{employer.code}/"
    other = factories.employer(city=town_a, name="Andere GmbH")
    outsider = factories.person("other@example.org", town_a, RoleKind.EMPLOYER_ADMIN,
                                employer=other)  # fmt: skip
    for user, status in ((dave, 404), (outsider, 404), (alice, 200)):
        client.force_login(user)
        assert client.get(url).status_code == status
    client.force_login(alice)
    page = client.get(url).content.decode()
    assert "Adler" in page and "1003" in page
    assert client.get(f"/bergdorf/employer/{employer.code}/").status_code in (403, 404)


def test_the_holder_loads_a_voucher_and_sees_the_purse_by_month(
    client, employer, staff, town_a, shop_a
):
    services.benefits_load(employer=employer, run_key="run-1")
    holder = Voucher.objects.get(benefit_load__employee__personnel_number="1001").card.member.user
    gift = vouchers.voucher_sell(
        product=VoucherProduct.objects.create(city=town_a, name="Gutschein", value_minor=2500)
    )
    client.force_login(holder)
    page = client.post("/altdorf/card/purse/", {"code": gift.secret.lower()}, follow=True)
    text = page.content.decode()
    assert "75,00" in text and "Stadtwerke Altdorf" in text
    refused = client.post("/altdorf/card/purse/", {"code": "MPV1-AAAA-BBBB-CCCC-DDDD"})
    assert refused.status_code == 200 and "errorlist" in refused.content.decode()
    # At the till: the cashier takes 12,50 from the card.
    cashier = factories.person("till@example.org", town_a, RoleKind.MERCHANT_CASHIER,
                               merchant=shop_a)  # fmt: skip
    client.force_login(cashier)
    card = Voucher.objects.get(pk=gift.pk).card
    paid = client.post(
        f"/altdorf/merchant/{shop_a.code}/card-payment/",
        {"key": "till-1", "card": card.number, "amount": "12,50"},
    )
    assert "62,50" in paid.content.decode()
    too_much = client.post(
        f"/altdorf/merchant/{shop_a.code}/card-payment/",
        {"key": "till-2", "card": card.number, "amount": "100"},
    )
    assert "62,50" in too_much.content.decode() and "errorlist" in too_much.content.decode()
    assert EmployeeImport.objects.count() == 1 and EmployerInvoice.objects.count() == 0


def test_the_monthly_command_invoices_last_month_once(employer, staff):
    from django.core.management.base import CommandError

    this_month = services.month_of(city=employer.city)
    last_month = (this_month - dt.timedelta(days=1)).replace(day=1)
    during = dt.datetime.combine(last_month + dt.timedelta(days=3), dt.time(10), dt.UTC)
    services.benefits_load(employer=employer, run_key="run-1", now=during)
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("employer_invoices", month=f"{this_month:%Y-%m}", stdout=out)
    call_command("employer_invoices", city="altdorf", stdout=out)  # default: last month
    call_command("employer_invoices", city="altdorf", stdout=out)
    assert out.getvalue().splitlines() == [
        f"altdorf {last_month:%Y-%m}: 1 invoice(s) written",
        f"altdorf {last_month:%Y-%m}: 0 invoice(s) written",
    ]
    assert EmployerInvoice.objects.get().total_minor == 8000


def test_a_paused_employee_gets_no_benefit_until_resumed(client, employer, staff, alice):
    client.force_login(alice)
    anna = staff[0]
    url = f"/altdorf/employer/{employer.code}/employees/{anna.code}/active/"
    assert client.get(url).status_code == 405
    client.post(url)
    outcomes = services.benefits_load(employer=employer, run_key="run-1")
    assert "1001" not in [o.employee.personnel_number for o in outcomes]
    client.post(url)
    again = services.benefits_load(employer=employer, run_key="run-2")
    assert (again[0].employee.personnel_number, again[0].amount_minor) == ("1001", 5000)


@pytest.mark.parametrize("language", ["de", "en", "fr", "it"])
def test_the_load_pages_speak_every_language_in_both_towns(
    client, employer, staff, alice, charlie, town_b, language
):
    from django.conf import settings

    swiss = factories.employer(city=town_b, name="Bergbahnen AG")
    card = loyalty.member_for_user(city=town_b, user=factories.user("ch@example.org")).cards.get()
    Employee.objects.create(city=town_b, employer=swiss, personnel_number="1", first_name="Urs",
                            last_name="Graf", card=card)  # fmt: skip
    for firm, operator in ((employer, alice), (swiss, charlie)):
        client.force_login(operator)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        url = f"/{firm.city.slug}/employer/{firm.code}/load/"
        confirm = client.get(url)
        assert confirm.status_code == 200 and f'lang="{language}"' in confirm.content.decode()
        key = confirm.context["load_form"]["key"].value()
        done = client.post(url, {"key": key})
        assert done.status_code == 200 and done.context["total"] > 0
        assert client.get(f"/{firm.city.slug}/employer/{firm.code}/").status_code == 200
