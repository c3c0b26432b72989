"""A camt.053 bank statement as a bank writes it, for tests and the demo."""

from __future__ import annotations

from xml.sax.saxutils import escape


def camt053(credits: list[dict], *, iban: str, currency: str, version: str = "08") -> bytes:
    """``credits``: dicts with amount (minor units), reference or text, payer, and
    optionally currency, status (BOOK) and direction (CRDT)."""
    entries = []
    for number, credit in enumerate(credits, start=1):
        amount = f"{credit['amount'] / 100:.2f}"
        ccy = credit.get("currency", currency)
        remittance = (
            "<Strd><CdtrRefInf><Tp><CdOrPrtry><Prtry>SCOR</Prtry></CdOrPrtry></Tp>"
            f"<Ref>{escape(credit['reference'])}</Ref></CdtrRefInf></Strd>"
            if credit.get("reference")
            else f"<Ustrd>{escape(credit.get('text', ''))}</Ustrd>"
        )
        entries.append(
            f"""<Ntry><NtryRef>{number}</NtryRef><Amt Ccy="{ccy}">{amount}</Amt>
<CdtDbtInd>{credit.get("direction", "CRDT")}</CdtDbtInd>
<Sts><Cd>{credit.get("status", "BOOK")}</Cd></Sts>
<BookgDt><Dt>2026-11-20</Dt></BookgDt><ValDt><Dt>2026-11-20</Dt></ValDt>
<AcctSvcrRef>BANK-{number:05d}</AcctSvcrRef>
<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
<NtryDtls><TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>
<Amt Ccy="{ccy}">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd>
<RltdPties><Dbtr><Pty><Nm>{escape(credit.get("payer", "Payer"))}</Nm></Pty></Dbtr></RltdPties>
<RmtInf>{remittance}</RmtInf></TxDtls></NtryDtls></Ntry>"""
        )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version}">
<BkToCstmrStmt><GrpHdr><MsgId>STMT-1</MsgId><CreDtTm>2026-11-21T06:00:00</CreDtTm></GrpHdr>
<Stmt><Id>STMT-1-1</Id><CreDtTm>2026-11-21T06:00:00</CreDtTm>
<Acct><Id><IBAN>{iban}</IBAN></Id><Ccy>{currency}</Ccy></Acct>
{"".join(entries)}
</Stmt></BkToCstmrStmt></Document>""".encode()
