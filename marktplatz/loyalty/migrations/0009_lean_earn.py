"""``loyalty_earn`` with fewer statements, on plans that stay cheap.

The business, the card and its member are read in one statement, the debt and the
balance while the accounts are locked, and ``ledger_post`` is told that the key has been
looked up already. It answers the booking's transaction too, so that the booking Python
builds from the answer is complete. Every statement finds its rows by a unique key, so one
generic plan serves every call (``plan_cache_mode``; the planner's generic plans for the earlier
joins with ``unnest`` scanned every account). Bookings and points lots lose the indexes
their composite indexes cover, the pattern index of the booking code, and the foreign key
of their town copy (checked by ``ledger_verify``). docs/benchmarks.md has the measurement.
"""

from importlib import import_module

import django.db.models.deletion
from django.db import migrations, models

from marktplatz.core.immutable import append_only_after_rebuild
from marktplatz.core.sqlops import postgres_sql


FORWARDS = r"""
DROP FUNCTION IF EXISTS loyalty_earn(bigint, bigint, bigint, bigint, text, text, bigint, bigint,
    bigint, timestamptz, timestamptz, text, text, text, bigint, text, timestamptz, text[]);
CREATE OR REPLACE FUNCTION loyalty_earn(
    p_city bigint, p_ledger bigint, p_merchant bigint, p_issuer bigint,
    p_card_number text, p_card_qr text, p_purchase bigint, p_points bigint, p_cap bigint,
    p_day_start timestamptz, p_expires_at timestamptz,
    p_key text, p_fingerprint text, p_reason text, p_actor bigint, p_actor_label text,
    p_now timestamptz, p_codes text[],
    OUT outcome text, OUT booking_id bigint, OUT card_id bigint, OUT card_number text,
    OUT member_id bigint, OUT points bigint, OUT balance bigint,
    OUT txn_id bigint
) LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    v_transaction bigint;
    v_status text;
    v_account bigint;
    v_debt_account bigint;
    v_accepting boolean;
    v_today bigint;
    v_debt bigint;
    v_repay bigint;
    v_debits bigint[];
    v_credits bigint[];
    v_amounts bigint[];
    v_reasons text[];
    v_post record;
BEGIN
    SELECT rp.transaction_id, rp.outcome INTO v_transaction, outcome
      FROM ledger_replay(p_ledger, p_key, p_fingerprint) rp;
    IF outcome = 'replayed' THEN
        SELECT b.id INTO booking_id FROM loyalty_booking b WHERE b.transaction_id = v_transaction;
        RETURN;
    ELSIF outcome IS NOT NULL THEN
        RETURN;
    END IF;
    -- The business, the card and its member in one look-up; one statement for each kind
    -- of card identifier, so that each plan uses that identifier's unique index.
    IF p_card_qr IS NOT NULL THEN
        SELECT m.city_id = p_city AND m.is_active AND m.accepting AND m.status = 'approved',
               CASE WHEN c.city_id = p_city THEN c.id END, c.number, c.status,
               c.member_id, mb.account_id, mb.debt_account_id
          INTO v_accepting, card_id, card_number, v_status, member_id, v_account, v_debt_account
          FROM merchants_merchant m
          LEFT JOIN loyalty_card c ON c.qr_token = p_card_qr
          LEFT JOIN loyalty_member mb ON mb.id = c.member_id
         WHERE m.id = p_merchant;
    ELSE
        SELECT m.city_id = p_city AND m.is_active AND m.accepting AND m.status = 'approved',
               CASE WHEN c.city_id = p_city THEN c.id END, c.number, c.status,
               c.member_id, mb.account_id, mb.debt_account_id
          INTO v_accepting, card_id, card_number, v_status, member_id, v_account, v_debt_account
          FROM merchants_merchant m
          LEFT JOIN loyalty_card c ON c.number = p_card_number
          LEFT JOIN loyalty_member mb ON mb.id = c.member_id
         WHERE m.id = p_merchant;
    END IF;
    IF NOT coalesce(v_accepting, false) THEN
        outcome := 'merchant_not_accepting';
        RETURN;
    ELSIF card_id IS NULL THEN
        outcome := 'card_not_found';
        card_number := NULL;
        member_id := NULL;
        RETURN;
    ELSIF v_status <> 'active' THEN
        outcome := 'card_blocked';
        RETURN;
    END IF;
    -- The daily cap and the debt are read under the lock of the card's accounts (and the
    -- business's, locked with them in primary-key order).
    SELECT max(s.balance) FILTER (WHERE s.id = v_debt_account),
           max(s.balance - s.pending_debits) FILTER (WHERE s.id = v_account)
      INTO v_debt, balance
      FROM (SELECT a.id, a.balance, a.pending_debits FROM ledger_account a
             WHERE a.id IN (v_account, v_debt_account, p_issuer) ORDER BY a.id
               FOR NO KEY UPDATE) s;
    SELECT CASE WHEN mb.earned_since = p_day_start THEN mb.earned_since_points ELSE 0 END
      INTO v_today FROM loyalty_member mb WHERE mb.id = member_id;
    points := greatest(0, least(p_points, p_cap - v_today));
    IF points = 0 THEN
        outcome := 'no_points';
        RETURN;
    END IF;
    v_repay := greatest(0, least(-v_debt, points));
    -- The purchase's points, and from them the repayment of a points debt, if any.
    v_debits := ARRAY[p_issuer];
    v_credits := ARRAY[v_account];
    v_amounts := ARRAY[points];
    v_reasons := ARRAY['earn'];
    IF v_repay > 0 THEN
        v_debits := v_debits || v_account;
        v_credits := v_credits || v_debt_account;
        v_amounts := v_amounts || v_repay;
        v_reasons := v_reasons || 'debt.repaid'::text;
    END IF;
    SELECT * INTO v_post FROM ledger_post(
        p_ledger, p_key, p_fingerprint, p_codes[1], 'earn', p_reason, p_actor, p_actor_label,
        p_now, v_debits, v_credits, v_amounts, v_reasons,
        p_codes[2 : 1 + cardinality(v_amounts)], true);
    IF v_post.outcome = 'replayed' THEN
        outcome := 'replayed';
        SELECT b.id INTO booking_id FROM loyalty_booking b
         WHERE b.transaction_id = v_post.transaction_id;
        RETURN;
    ELSIF v_post.outcome <> 'posted' THEN
        outcome := v_post.outcome;
        RETURN;
    END IF;
    UPDATE loyalty_member mb SET earned_since = p_day_start, earned_since_points = v_today + points
     WHERE mb.id = member_id;
    txn_id := v_post.transaction_id;
    INSERT INTO loyalty_booking AS b (
        code, city_id, kind, member_id, card_id, merchant_id, purchase_minor, points,
        shortfall, transaction_id, reason, created_at)
    VALUES (p_codes[4], p_city, 'earn', member_id, card_id, p_merchant, p_purchase, points, 0,
            v_post.transaction_id, '', p_now)
    RETURNING b.id INTO booking_id;
    IF points > v_repay THEN
        INSERT INTO loyalty_pointslot (
            city_id, member_id, booking_id, points, remaining, expires_at, reminded)
        VALUES (p_city, member_id, booking_id, points - v_repay, points - v_repay,
                p_expires_at, false);
    END IF;
    balance := balance + points - v_repay;
    outcome := 'created';
END $$;

-- Codes are looked up by equality only: no pattern (LIKE) indexes.
DO $drop$
DECLARE i record;
BEGIN
    FOR i IN SELECT indexname FROM pg_indexes
              WHERE tablename IN ('loyalty_booking')
                AND indexdef LIKE '%(code varchar_pattern_ops)%'
    LOOP
        EXECUTE format('DROP INDEX %I', i.indexname);
    END LOOP;
END $drop$;
"""

BACKWARDS = (
    """
DROP FUNCTION IF EXISTS loyalty_earn(bigint, bigint, bigint, bigint, text, text, bigint, bigint,
    bigint, timestamptz, timestamptz, text, text, text, bigint, text, timestamptz, text[]);
"""
    + import_module("marktplatz.loyalty.migrations.0007_sql_earn").FORWARDS
)


class Migration(migrations.Migration):
    dependencies = [
        ("cities", "0004_city_registration_id"),
        ("ledger", "0004_lean_posting"),
        ("loyalty", "0008_booking_corrections_index"),
        ("merchants", "0004_employer_locality_employer_postcode_employer_street"),
    ]

    operations = [
        postgres_sql(FORWARDS, BACKWARDS),
        migrations.AlterField(
            model_name="booking",
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
            model_name="booking",
            name="member",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="bookings",
                to="loyalty.member",
            ),
        ),
        migrations.AlterField(
            model_name="booking",
            name="merchant",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="merchants.merchant",
            ),
        ),
        migrations.AlterField(
            model_name="booking",
            name="original",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="corrections",
                to="loyalty.booking",
            ),
        ),
        migrations.AlterField(
            model_name="pointslot",
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
            model_name="pointslot",
            name="member",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="lots",
                to="loyalty.member",
            ),
        ),
        migrations.AddIndex(
            model_name="booking",
            index=models.Index(
                condition=models.Q(("original__isnull", False)),
                fields=["original"],
                name="booking_original",
            ),
        ),
        append_only_after_rebuild("loyalty_booking"),
    ]
