-- Events written in the same transaction as the change they describe, moved
-- to Redis by the producing service's relay (stelly_core.events). One table
-- for every tenant so that one relay serves thousands of schemas.
CREATE TABLE event_outbox (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    channel     text NOT NULL,
    type        text NOT NULL,
    data        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
