-- migrations/functions/whatsapp_inbound.sql: whatsapp_inbound, first created by 0002_commerce.sql
-- (its old signature dropped by 0009_whatsapp_limits.sql).
-- Re-applied by sentia-migrate up whenever this file changes (docs/MIGRATIONS.md).
--
-- The whole unit of work of one inbound WhatsApp message, in one call:
-- find or create the customer, store the message (first copy wins), run the
-- parsed command (p_command, built by worker/order_text.c) and store its
-- outcome with the message. Returns p_command merged with the outcome, plus
-- "replay": false — or, when the message was already handled, the stored
-- outcome with "replay": true, so a re-run builds the same reply and never
-- places a second order. Concurrent runs of one message serialise on its
-- row.
--
-- p_command: {"cmd": "order", "items": […], "problems": […]}, {"cmd":
-- "status", "number": N?}, {"cmd": "cancel", "number": N}, {"cmd":
-- "catalog", "page": P, "page_size": S}, {"cmd": "help" | "unknown" |
-- "empty"}; a "problem" key means the parser already knows the answer (no
-- database work).
--
-- p_max_pending, p_max_units: the per-customer limits an ORDER is checked
-- against (whatsapp_place_order); the worker passes WHATSAPP_MAX_PENDING_ORDERS
-- and WHATSAPP_MAX_UNITS_PER_ORDER, NULL means no limit.
CREATE OR REPLACE FUNCTION whatsapp_inbound(p_message_sid text, p_wa_id text, p_from text,
                                 p_to text, p_profile_name text, p_body text,
                                 p_num_media integer, p_command jsonb, p_location text,
                                 p_max_pending integer DEFAULT NULL,
                                 p_max_units integer DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    v_customer_id bigint;
    v_message_id bigint;
    v_result jsonb;
    v_outcome jsonb := '{}'::jsonb;
    v_number bigint;
    v_cmd text := COALESCE(p_command ->> 'cmd', 'unknown');
BEGIN
    v_customer_id := whatsapp_customer(p_wa_id, p_from, p_profile_name);

    INSERT INTO whatsapp_messages (message_sid, direction, customer_id, from_address,
                                   to_address, body, num_media, status)
    VALUES (p_message_sid, 'in', v_customer_id, p_from, p_to, COALESCE(p_body, ''),
            greatest(COALESCE(p_num_media, 0), 0), 'received')
    ON CONFLICT (message_sid) DO NOTHING;

    SELECT id, result INTO v_message_id, v_result FROM whatsapp_messages
     WHERE message_sid = p_message_sid FOR UPDATE;
    IF v_result IS NOT NULL THEN
        RETURN v_result || jsonb_build_object('replay', true);
    END IF;

    IF p_command ? 'problem' THEN
        v_outcome := jsonb_build_object('ok', false);
    ELSIF v_cmd = 'order' THEN
        v_outcome := whatsapp_place_order(p_message_sid, v_customer_id, p_command -> 'items',
                                          p_command -> 'problems', p_location,
                                          p_max_pending, p_max_units);
    ELSIF v_cmd IN ('status', 'cancel') THEN
        IF jsonb_typeof(p_command -> 'number') = 'number'
           AND (p_command ->> 'number') ~ '^[0-9]{1,15}$' THEN
            v_number := (p_command ->> 'number')::bigint;
        END IF;
        IF v_cmd = 'status' THEN
            v_outcome := whatsapp_order_status(v_customer_id, v_number);
        ELSIF v_number IS NULL THEN
            v_outcome := jsonb_build_object('ok', false, 'problem', 'no_number');
        ELSE
            v_outcome := whatsapp_cancel_order(v_customer_id, v_number);
        END IF;
    ELSIF v_cmd = 'catalog' THEN
        v_outcome := whatsapp_catalog(
            p_location,
            CASE WHEN (p_command ->> 'page') ~ '^[0-9]{1,7}$'
                 THEN (p_command ->> 'page')::integer ELSE 1 END,
            CASE WHEN (p_command ->> 'page_size') ~ '^[0-9]{1,3}$'
                 THEN (p_command ->> 'page_size')::integer ELSE 10 END);
    END IF;

    v_result := p_command || v_outcome || jsonb_build_object('cmd', v_cmd);
    UPDATE whatsapp_messages
       SET result = v_result, command = v_cmd,
           order_id = (SELECT id FROM orders
                        WHERE v_cmd = 'order' AND source = 'whatsapp'
                          AND external_id = p_message_sid)
     WHERE id = v_message_id;
    RETURN v_result || jsonb_build_object('replay', false);
END;
$$;
