"""Postings cost PostgreSQL less: plans that stay cheap, fewer indexes and constraints.

Measured with pgbench on the benchmark's database (docs/benchmarks.md):

- ``ledger_post`` checked and updated balances through joins with ``unnest``; their generic
  plans scan every account, so PostgreSQL planned them anew on every call (about a
  millisecond each here). Its statements now look rows up by primary key only and keep one
  generic plan (``plan_cache_mode``); a caller that has just looked the key up says so
  (``p_replay_checked``) instead of having it looked up twice (a request with the same
  key that commits in between is still caught by the insert's ON CONFLICT).
  Accounts are locked FOR NO KEY UPDATE, as ``lock_for_posting`` locks them in Python.
- ``ledger_replay`` is a plain SQL function, which PostgreSQL inlines.
- Indexes that other indexes already cover (an account's transfers by time, the pattern
  indexes of the codes) and those of columns that are almost always empty go; the town
  and ledger of a transaction or transfer are copies, checked by ``ledger_verify``
  rather than by foreign keys that would lock the town's and ledger's rows on every
  booking.
"""

from importlib import import_module

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from marktplatz.core.immutable import append_only_after_rebuild
from marktplatz.core.sqlops import postgres_sql


FORWARDS = r"""
DROP FUNCTION IF EXISTS ledger_replay(bigint, text, text);
CREATE OR REPLACE FUNCTION ledger_replay(
    p_ledger bigint, p_key text, p_fingerprint text
) RETURNS TABLE (transaction_id bigint, outcome text) LANGUAGE sql STABLE AS $$
    SELECT t.id, CASE WHEN t.fingerprint = p_fingerprint THEN 'replayed' ELSE 'conflict' END
      FROM ledger_transaction t
     WHERE t.ledger_id = p_ledger AND t.idempotency_key = p_key
$$;
DROP FUNCTION IF EXISTS ledger_post(bigint, text, text, text, text, text, bigint, text,
    timestamptz, bigint[], bigint[], bigint[], text[], text[]);
CREATE OR REPLACE FUNCTION ledger_post(
    p_ledger bigint, p_key text, p_fingerprint text, p_code text,
    p_reason_code text, p_reason text, p_actor bigint, p_actor_label text, p_now timestamptz,
    p_debits bigint[], p_credits bigint[], p_amounts bigint[], p_leg_reasons text[],
    p_leg_codes text[], p_replay_checked boolean,
    OUT transaction_id bigint, OUT outcome text, OUT account_id bigint, OUT available bigint
) LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    v_city bigint;
    v_accounts bigint[] := '{}';
    v_deltas bigint[] := '{}';
    v_found int := 0;
    v_at int;
    v_delta bigint;
    r record;
BEGIN
    IF NOT p_replay_checked THEN
        SELECT rp.transaction_id, rp.outcome INTO transaction_id, outcome
          FROM ledger_replay(p_ledger, p_key, p_fingerprint) rp;
        IF outcome IS NOT NULL THEN
            RETURN;
        END IF;
    END IF;
    -- Each account's net change.
    FOR i IN 1 .. cardinality(p_amounts) LOOP
        v_at := array_position(v_accounts, p_debits[i]);
        IF v_at IS NULL THEN
            v_accounts := v_accounts || p_debits[i];
            v_deltas := v_deltas || -p_amounts[i];
        ELSE
            v_deltas[v_at] := v_deltas[v_at] - p_amounts[i];
        END IF;
        v_at := array_position(v_accounts, p_credits[i]);
        IF v_at IS NULL THEN
            v_accounts := v_accounts || p_credits[i];
            v_deltas := v_deltas || p_amounts[i];
        ELSE
            v_deltas[v_at] := v_deltas[v_at] + p_amounts[i];
        END IF;
    END LOOP;
    -- Locked in primary-key order (a no-op for rows the caller has locked already); by
    -- primary key only (a plan that starts from ledger_id would read every account).
    FOR r IN SELECT a.id, a.ledger_id, a.city_id, a.allow_negative,
                    a.balance - a.pending_debits AS available
               FROM ledger_account a WHERE a.id = ANY (v_accounts) ORDER BY a.id
                FOR NO KEY UPDATE
    LOOP
        IF r.ledger_id = p_ledger THEN
            v_city := r.city_id;
            v_found := v_found + 1;
        END IF;
        v_delta := v_deltas[array_position(v_accounts, r.id)];
        IF account_id IS NULL AND NOT r.allow_negative AND r.available + v_delta < 0 THEN
            account_id := r.id;
            available := r.available;
        END IF;
    END LOOP;
    -- An account that is missing or in another ledger.
    IF v_found <> cardinality(v_accounts) THEN
        RAISE EXCEPTION 'ledger_post: an account is not in ledger %', p_ledger
            USING ERRCODE = 'check_violation';
    END IF;
    IF account_id IS NOT NULL THEN
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
        SELECT rp.transaction_id, rp.outcome INTO transaction_id, outcome
          FROM ledger_replay(p_ledger, p_key, p_fingerprint) rp;
        RETURN;
    END IF;
    INSERT INTO ledger_transfer (
        code, city_id, transaction_id, ledger_id, kind, debit_account_id, credit_account_id,
        amount, reason_code, created_at)
    SELECT l.code, v_city, transaction_id, p_ledger, 'posted', l.d, l.c, l.a,
           coalesce(nullif(l.r, ''), p_reason_code), p_now
      FROM unnest(p_leg_codes, p_debits, p_credits, p_amounts, p_leg_reasons) AS l(code, d, c, a, r);
    FOR i IN 1 .. cardinality(v_accounts) LOOP
        IF v_deltas[i] <> 0 THEN
            UPDATE ledger_account a SET balance = a.balance + v_deltas[i] WHERE a.id = v_accounts[i];
        END IF;
    END LOOP;
    outcome := 'posted';
END $$;

-- Codes are looked up by equality only: no pattern (LIKE) indexes.
DO $drop$
DECLARE i record;
BEGIN
    FOR i IN SELECT indexname FROM pg_indexes
              WHERE tablename IN ('ledger_transaction', 'ledger_transfer')
                AND indexdef LIKE '%(code varchar_pattern_ops)%'
    LOOP
        EXECUTE format('DROP INDEX %I', i.indexname);
    END LOOP;
END $drop$;
"""

BACKWARDS = (
    """
DROP FUNCTION IF EXISTS ledger_post(bigint, text, text, text, text, text, bigint, text,
    timestamptz, bigint[], bigint[], bigint[], text[], text[], boolean);
DROP FUNCTION IF EXISTS ledger_replay(bigint, text, text);
"""
    + import_module("marktplatz.ledger.migrations.0003_sql_posting").FORWARDS
)


class Migration(migrations.Migration):
    dependencies = [
        ("cities", "0004_city_registration_id"),
        ("ledger", "0003_sql_posting"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        postgres_sql(FORWARDS, BACKWARDS),
        migrations.AlterField(
            model_name="transaction",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="transaction",
            name="city",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="cities.city",
            ),
        ),
        migrations.AlterField(
            model_name="transaction",
            name="ledger",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="transactions",
                to="ledger.ledger",
            ),
        ),
        migrations.AlterField(
            model_name="transfer",
            name="city",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="cities.city",
            ),
        ),
        migrations.AlterField(
            model_name="transfer",
            name="credit_account",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="ledger.account",
            ),
        ),
        migrations.AlterField(
            model_name="transfer",
            name="debit_account",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="ledger.account",
            ),
        ),
        migrations.AlterField(
            model_name="transfer",
            name="ledger",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="ledger.ledger",
            ),
        ),
        migrations.AlterField(
            model_name="transfer",
            name="pending",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="resolutions",
                to="ledger.transfer",
            ),
        ),
        migrations.AlterField(
            model_name="transfer",
            name="reverses",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="reversals",
                to="ledger.transfer",
            ),
        ),
        migrations.AddIndex(
            model_name="transaction",
            index=models.Index(
                condition=models.Q(("actor__isnull", False)),
                fields=["actor"],
                name="transaction_actor",
            ),
        ),
        migrations.AddIndex(
            model_name="transfer",
            index=models.Index(
                condition=models.Q(("reverses__isnull", False)),
                fields=["reverses"],
                name="transfer_reverses",
            ),
        ),
        append_only_after_rebuild("ledger_transaction"),
        append_only_after_rebuild("ledger_transfer"),
    ]
