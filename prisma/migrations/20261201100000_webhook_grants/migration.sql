-- The runtime role records webhook events and then their outcome, in one transaction; it never
-- deletes one (the table is the durable record that an event id was handled).
GRANT SELECT, INSERT, UPDATE ON "payment_webhook_events" TO gateway_runtime;
