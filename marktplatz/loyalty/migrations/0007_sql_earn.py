"""``loyalty_earn``: the PostgreSQL path of ``services.earn`` in one round trip.

Python works out what depends only on the town's rules (points by turnover, campaign,
visit bonus, the day's start, the expiry date, the codes); this function does what must
happen under the lock of the card's accounts, exactly as the Python path does for SQLite:
the idempotency replay, the merchant and card checks, the daily cap, the repayment of a
points debt, the posting (through ``ledger_post``), the booking and its points lot.
"""

from django.db import migrations

from marktplatz.core.sqlops import postgres_sql

FORWARDS = r"""
CREATE OR REPLACE FUNCTION loyalty_earn(
    p_city bigint, p_ledger bigint, p_merchant bigint, p_issuer bigint,
    p_card_number text, p_card_qr text, p_purchase bigint, p_points bigint, p_cap bigint,
    p_day_start timestamptz, p_expires_at timestamptz,
    p_key text, p_fingerprint text, p_reason text, p_actor bigint, p_actor_label text,
    p_now timestamptz, p_codes text[],
    OUT outcome text, OUT booking_id bigint, OUT card_id bigint, OUT card_number text,
    OUT member_id bigint, OUT points bigint, OUT balance bigint
) LANGUAGE plpgsql AS $$
DECLARE
    v_transaction bigint;
    v_status text;
    v_account bigint;
    v_debt_account bigint;
    v_accepting boolean;
    v_today bigint;
    v_repay bigint;
    v_post record;
BEGIN
    SELECT r.transaction_id, r.outcome INTO v_transaction, outcome
      FROM ledger_replay(p_ledger, p_key, p_fingerprint) r;
    IF outcome = 'replayed' THEN
        SELECT b.id INTO booking_id FROM loyalty_booking b WHERE b.transaction_id = v_transaction;
        RETURN;
    ELSIF outcome IS NOT NULL THEN
        RETURN;
    END IF;
    SELECT m.is_active AND m.accepting AND m.status = 'approved' INTO v_accepting
      FROM merchants_merchant m WHERE m.id = p_merchant AND m.city_id = p_city;
    IF NOT coalesce(v_accepting, false) THEN
        outcome := 'merchant_not_accepting';
        RETURN;
    END IF;
    IF p_card_qr IS NOT NULL THEN
        SELECT c.id, c.number, c.status, c.member_id INTO card_id, card_number, v_status, member_id
          FROM loyalty_card c WHERE c.qr_token = p_card_qr AND c.city_id = p_city;
    ELSE
        SELECT c.id, c.number, c.status, c.member_id INTO card_id, card_number, v_status, member_id
          FROM loyalty_card c WHERE c.number = p_card_number AND c.city_id = p_city;
    END IF;
    IF card_id IS NULL THEN
        outcome := 'card_not_found';
        RETURN;
    ELSIF v_status <> 'active' THEN
        outcome := 'card_blocked';
        RETURN;
    END IF;
    SELECT mb.account_id, mb.debt_account_id INTO v_account, v_debt_account
      FROM loyalty_member mb WHERE mb.id = member_id;
    -- The daily cap and the debt are read under the lock of the card's accounts.
    PERFORM 1 FROM ledger_account a WHERE a.id IN (v_account, v_debt_account, p_issuer)
      ORDER BY a.id FOR UPDATE;
    SELECT CASE WHEN mb.earned_since = p_day_start THEN mb.earned_since_points ELSE 0 END
      INTO v_today FROM loyalty_member mb WHERE mb.id = member_id;
    points := greatest(0, least(p_points, p_cap - v_today));
    IF points = 0 THEN
        outcome := 'no_points';
        RETURN;
    END IF;
    SELECT greatest(0, least(-a.balance, points)) INTO v_repay
      FROM ledger_account a WHERE a.id = v_debt_account;
    IF v_repay > 0 THEN
        SELECT * INTO v_post FROM ledger_post(
            p_ledger, p_key, p_fingerprint, p_codes[1], 'earn', p_reason, p_actor,
            p_actor_label, p_now, ARRAY[p_issuer, v_account], ARRAY[v_account, v_debt_account],
            ARRAY[points, v_repay], ARRAY['earn', 'debt.repaid'], ARRAY[p_codes[2], p_codes[3]]);
    ELSE
        SELECT * INTO v_post FROM ledger_post(
            p_ledger, p_key, p_fingerprint, p_codes[1], 'earn', p_reason, p_actor,
            p_actor_label, p_now, ARRAY[p_issuer], ARRAY[v_account], ARRAY[points],
            ARRAY['earn'], ARRAY[p_codes[2]]);
    END IF;
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
    SELECT a.balance - a.pending_debits INTO balance FROM ledger_account a WHERE a.id = v_account;
    outcome := 'created';
END $$;
"""

BACKWARDS = """
DROP FUNCTION IF EXISTS loyalty_earn(bigint, bigint, bigint, bigint, text, text, bigint, bigint,
    bigint, timestamptz, timestamptz, text, text, text, bigint, text, timestamptz, text[]);
"""


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0006_member_daily_earnings"), ("ledger", "0003_sql_posting")]
    operations = [postgres_sql(FORWARDS, BACKWARDS)]
