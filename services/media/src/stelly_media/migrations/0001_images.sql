-- Uploaded images of one restaurant (SPEC §3 Media). The menu service reads
-- this table (status 'ready') to accept an item's image_id and build its URLs.
CREATE TABLE images (
    id           uuid PRIMARY KEY,
    status       text NOT NULL DEFAULT 'processing'
                 CHECK (status IN ('processing', 'ready', 'failed')),
    format       text NOT NULL CHECK (format IN ('jpeg', 'png', 'webp')),
    width        integer NOT NULL CHECK (width > 0),
    height       integer NOT NULL CHECK (height > 0),
    byte_size    bigint NOT NULL CHECK (byte_size > 0),
    -- {"320": 320, "640": 640, "1280": 1280}: variant name -> its actual width
    variants     jsonb NOT NULL DEFAULT '{}'::jsonb,
    failure      text,
    uploaded_by  text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
