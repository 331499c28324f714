-- Staff account administration (issue 16): invitations, disabling, password
-- resets. ``token_version`` is copied into every access token (``ver``) and
-- bumped when the account is disabled or its password reset, so the staff
-- check (stelly_tenancy.staff) refuses older tokens on the next request on
-- every replica. ``invited``: created by an invitation, no password chosen yet.
ALTER TABLE staff_users
    ADD COLUMN token_version  integer NOT NULL DEFAULT 0,
    ADD COLUMN invited        boolean NOT NULL DEFAULT false,
    ADD COLUMN last_login_at  timestamptz;

-- One row per invitation or reset link; its nonce is consumed on use (single
-- use) and a newer link of the same user replaces the older ones.
CREATE TABLE staff_tickets (
    nonce       text PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES staff_users (id) ON DELETE CASCADE,
    purpose     text NOT NULL CHECK (purpose IN ('invite', 'reset')),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX staff_tickets_user_id ON staff_tickets (user_id);
