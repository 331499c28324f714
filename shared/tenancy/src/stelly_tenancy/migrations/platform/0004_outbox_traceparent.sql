-- The trace context (W3C traceparent) of the request that wrote each event, so the
-- relay, the Redis stream entry and the realtime delivery join its trace. Older rows
-- keep NULL and are relayed as before.
ALTER TABLE event_outbox ADD COLUMN traceparent text;
