-- Staff accounts of one restaurant (SPEC §3 roles). Shared by every service
-- that authenticates staff, so it belongs to the core component.
CREATE TABLE staff_users (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email          text NOT NULL CHECK (email = lower(email) AND length(email) <= 254),
    password_hash  text NOT NULL,
    role           text NOT NULL CHECK (role IN ('owner', 'manager', 'staff')),
    active         boolean NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX staff_users_email ON staff_users (email);
