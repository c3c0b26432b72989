"""PL/pgSQL twins of ``services.replay`` and the posted-transfer case of ``transaction_post``.

The booking hot paths (e.g. an earn at the till) call them so that a whole posting costs
one round trip on PostgreSQL; the rules are the same as in Python: accounts locked in
primary-key order, an account that may not go negative is refused before anything is
written, one row per transfer, balances updated in the same transaction, and a second
request under the same idempotency key returns the first transaction (same content) or
a conflict (other content), also when the two race.
"""

from django.db import migrations

from marktplatz.core.sqlops import postgres_sql

FORWARDS = r"""
CREATE OR REPLACE FUNCTION ledger_replay(
    p_ledger bigint, p_key text, p_fingerprint text,
    OUT transaction_id bigint, OUT outcome text
) LANGUAGE plpgsql AS $$
DECLARE
    v_fingerprint text;
BEGIN
    IF p_key IS NULL THEN
        RETURN;
    END IF;
    SELECT t.id, t.fingerprint INTO transaction_id, v_fingerprint
      FROM ledger_transaction t
     WHERE t.ledger_id = p_ledger AND t.idempotency_key = p_key;
    IF FOUND THEN
        outcome := CASE WHEN v_fingerprint = p_fingerprint THEN 'replayed' ELSE 'conflict' END;
    END IF;
END $$;

CREATE OR REPLACE FUNCTION ledger_post(
    p_ledger bigint, p_key text, p_fingerprint text, p_code text,
    p_reason_code text, p_reason text, p_actor bigint, p_actor_label text, p_now timestamptz,
    p_debits bigint[], p_credits bigint[], p_amounts bigint[], p_leg_reasons text[],
    p_leg_codes text[],
    OUT transaction_id bigint, OUT outcome text, OUT account_id bigint, OUT available bigint
) LANGUAGE plpgsql AS $$
DECLARE
    v_city bigint;
    v_accounts bigint[];
    v_deltas bigint[];
    v_found int;
BEGIN
    SELECT r.transaction_id, r.outcome INTO transaction_id, outcome
      FROM ledger_replay(p_ledger, p_key, p_fingerprint) r;
    IF outcome IS NOT NULL THEN
        RETURN;
    END IF;
    SELECT l.city_id INTO v_city FROM ledger_ledger l WHERE l.id = p_ledger;
    -- Each account's net change, in primary-key order.
    SELECT array_agg(e.account ORDER BY e.account), array_agg(e.delta ORDER BY e.account)
      INTO v_accounts, v_deltas
      FROM (SELECT x.account, sum(x.delta)::bigint AS delta
              FROM (SELECT d AS account, -a AS delta FROM unnest(p_debits, p_amounts) AS l(d, a)
                    UNION ALL
                    SELECT c, a FROM unnest(p_credits, p_amounts) AS l(c, a)) x
             GROUP BY x.account) e;
    -- By primary key only (a plan that starts from ledger_id would read every account).
    SELECT count(*) FILTER (WHERE locked.ledger_id = p_ledger) INTO v_found
      FROM (SELECT a.id, a.ledger_id FROM ledger_account a
             WHERE a.id = ANY (v_accounts) ORDER BY a.id FOR UPDATE) locked;
    IF v_found <> cardinality(v_accounts) THEN
        RAISE EXCEPTION 'ledger_post: an account is not in ledger %', p_ledger
            USING ERRCODE = 'check_violation';
    END IF;
    SELECT a.id, a.balance - a.pending_debits INTO account_id, available
      FROM unnest(v_accounts, v_deltas) AS e(account, delta)
      JOIN ledger_account a ON a.id = e.account
     WHERE NOT a.allow_negative AND a.balance + e.delta - a.pending_debits < 0
     ORDER BY a.id LIMIT 1;
    IF FOUND THEN
        outcome := 'insufficient';
        RETURN;
    END IF;
    INSERT INTO ledger_transaction AS t (
        code, city_id, ledger_id, idempotency_key, fingerprint, reason_code, reason,
        external_ref, actor_id, actor_label, created_at)
    VALUES (p_code, v_city, p_ledger, p_key, p_fingerprint, p_reason_code, left(p_reason, 200),
            '', p_actor, left(p_actor_label, 120), p_now)
    ON CONFLICT (ledger_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
    RETURNING t.id INTO transaction_id;
    IF transaction_id IS NULL THEN
        -- A request with the same key committed while this one waited.
        SELECT r.transaction_id, r.outcome INTO transaction_id, outcome
          FROM ledger_replay(p_ledger, p_key, p_fingerprint) r;
        RETURN;
    END IF;
    INSERT INTO ledger_transfer (
        code, city_id, transaction_id, ledger_id, kind, debit_account_id, credit_account_id,
        amount, reason_code, created_at)
    SELECT l.code, v_city, transaction_id, p_ledger, 'posted', l.d, l.c, l.a,
           coalesce(nullif(l.r, ''), p_reason_code), p_now
      FROM unnest(p_leg_codes, p_debits, p_credits, p_amounts, p_leg_reasons) AS l(code, d, c, a, r);
    UPDATE ledger_account a SET balance = a.balance + e.delta
      FROM unnest(v_accounts, v_deltas) AS e(account, delta)
     WHERE a.id = e.account AND e.delta <> 0;
    outcome := 'posted';
END $$;
"""

BACKWARDS = """
DROP FUNCTION IF EXISTS ledger_post(bigint, text, text, text, text, text, bigint, text,
    timestamptz, bigint[], bigint[], bigint[], text[], text[]);
DROP FUNCTION IF EXISTS ledger_replay(bigint, text, text);
"""


class Migration(migrations.Migration):
    dependencies = [("ledger", "0002_append_only")]
    operations = [postgres_sql(FORWARDS, BACKWARDS)]
