-- The platform console (SPEC §10): its administrators, and custom domains
-- that serve only once their owner has proven control of them.

CREATE TABLE platform_admins (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email          text NOT NULL UNIQUE CHECK (email = lower(email) AND length(email) <= 254),
    password_hash  text NOT NULL,
    active         boolean NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL DEFAULT now()
);

-- Rows that exist already were added by the operator's CLI (`stelly tenant
-- create --domain`), which is trusted: they stay verified and keep serving.
-- New rows default to pending, so that nothing serves a domain by omission.
ALTER TABLE tenant_domains
    ADD COLUMN status text NOT NULL DEFAULT 'verified'
        CHECK (status IN ('pending', 'verified')),
    ADD COLUMN verification_token text,
    ADD COLUMN verified_at timestamptz,
    ADD COLUMN last_checked_at timestamptz,
    ADD COLUMN reason text,
    ADD COLUMN certificate jsonb;
UPDATE tenant_domains SET verified_at = created_at WHERE verified_at IS NULL;
ALTER TABLE tenant_domains ALTER COLUMN status SET DEFAULT 'pending';
