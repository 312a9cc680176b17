-- migrations/functions/whatsapp_customer.sql: whatsapp_customer, first created by 0002_commerce.sql.
-- Re-applied by sentia-migrate up whenever this file changes (docs/MIGRATIONS.md).
--
-- Finds or creates the customer of a WhatsApp id, keeping the latest
-- profile name and address; returns its id.
CREATE OR REPLACE FUNCTION whatsapp_customer(p_wa_id text, p_phone text, p_profile_name text)
RETURNS bigint LANGUAGE sql AS $$
    INSERT INTO customers AS c (wa_id, phone, profile_name)
    VALUES (p_wa_id, NULLIF(p_phone, ''), NULLIF(p_profile_name, ''))
    ON CONFLICT (wa_id) DO UPDATE
        SET phone = COALESCE(EXCLUDED.phone, c.phone),
            profile_name = COALESCE(EXCLUDED.profile_name, c.profile_name)
    RETURNING id
$$;
