-- 0008_audit_webhook: audit rows for actions a signed webhook asked for
-- (Shopify's compliance webhooks: privacy.customer_data_request,
-- privacy.customer_redact, privacy.shop_redact; migrations/functions/privacy.sql).
-- Their subject is the store ("shopify:uk"), role 'none', auth_kind 'webhook'
-- (the provider's signature), request_id the X-Shopify-Webhook-Id.

ALTER TABLE audit_log
    DROP CONSTRAINT audit_log_auth_kind_check,
    ADD CONSTRAINT audit_log_auth_kind_check
        CHECK (auth_kind IN ('clerk', 'api_key', 'cli', 'webhook'));
