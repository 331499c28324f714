-- The menu service's tables in each tenant schema: the store's own settings,
-- the menu (categories, items, modifier groups and options), orders with a
-- snapshot of what was ordered, per-day order numbers and idempotency keys.
-- Events go to public.event_outbox (one table for every tenant).

-- One row: weekly opening hours (NULL = open around the clock) and the menu
-- version, bumped by every change that alters the published menu.
CREATE TABLE store_settings (
    id             smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    opening_hours  jsonb,
    menu_version   bigint NOT NULL DEFAULT 1,
    updated_at     timestamptz NOT NULL DEFAULT now()
);
INSERT INTO store_settings (id) VALUES (1);

CREATE TABLE categories (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    position    integer NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- A category with items cannot be deleted (RESTRICT): the API answers 409.
CREATE TABLE items (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    category_id  bigint NOT NULL REFERENCES categories (id) ON DELETE RESTRICT,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description  text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    price        integer NOT NULL CHECK (price >= 0),
    available    boolean NOT NULL DEFAULT true,
    tags         text[] NOT NULL DEFAULT '{}',
    image_id     text,
    position     integer NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX items_category_id ON items (category_id);

CREATE TABLE modifier_groups (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item_id   bigint NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    name      text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    min       integer NOT NULL CHECK (min >= 0),
    max       integer NOT NULL CHECK (max >= min AND max >= 1),
    position  integer NOT NULL DEFAULT 0
);
CREATE INDEX modifier_groups_item_id ON modifier_groups (item_id);

CREATE TABLE modifier_options (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    group_id  bigint NOT NULL REFERENCES modifier_groups (id) ON DELETE CASCADE,
    name      text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    price     integer NOT NULL DEFAULT 0 CHECK (price >= 0),
    position  integer NOT NULL DEFAULT 0
);
CREATE INDEX modifier_options_group_id ON modifier_options (group_id);

-- Order numbers restart every day of the store's time zone.
CREATE TABLE order_counters (
    business_date  date PRIMARY KEY,
    last_number    integer NOT NULL
);

CREATE TABLE orders (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    number          integer NOT NULL,
    business_date   date NOT NULL,
    status          text NOT NULL DEFAULT 'received' CHECK (status IN
                    ('received', 'accepted', 'preparing', 'ready', 'completed', 'cancelled')),
    fulfillment     text NOT NULL CHECK (fulfillment IN ('pickup', 'dine_in')),
    table_label     text,
    customer_name   text NOT NULL,
    customer_phone  text,
    note            text,
    total           integer NOT NULL CHECK (total >= 0),
    currency        text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (business_date, number)
);
CREATE INDEX orders_status_created ON orders (status, created_at);

-- What was ordered, as it was priced then: later menu edits never change it.
CREATE TABLE order_lines (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id    bigint NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    position    integer NOT NULL,
    item_id     bigint NOT NULL,
    name        text NOT NULL,
    unit_price  integer NOT NULL,
    quantity    integer NOT NULL CHECK (quantity > 0),
    modifiers   jsonb NOT NULL DEFAULT '[]',
    note        text,
    line_total  integer NOT NULL
);
CREATE INDEX order_lines_order_id ON order_lines (order_id);

-- The first request with a key inserts its row and creates the order in the
-- same transaction; concurrent duplicates wait on the unique key, then find it.
CREATE TABLE idempotency_keys (
    key           text PRIMARY KEY,
    request_hash  text NOT NULL,
    order_id      bigint REFERENCES orders (id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now()
);
