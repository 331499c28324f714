-- The staff app (issue 16): opening-hours exceptions and the "closed now"
-- switch, each order's status history, and the index order history pages by.

-- Exceptions: [{date: "YYYY-MM-DD", intervals: [{open, close}], note}] sorted
-- by date, one per date (an empty list of intervals: closed all day).
-- closed_now: the manual switch; the store takes no orders until it is off.
ALTER TABLE store_settings
    ADD COLUMN hours_exceptions  jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN closed_now        boolean NOT NULL DEFAULT false;

-- One row per status an order took, written in the transaction that set it
-- (``received`` at creation, by nobody). ``by_email`` is the staff user's
-- e-mail as it was then.
CREATE TABLE order_status_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id    bigint NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    status      text NOT NULL,
    at          timestamptz NOT NULL DEFAULT now(),
    by_user_id  bigint,
    by_email    text
);
CREATE INDEX order_status_events_order_id ON order_status_events (order_id, id);
INSERT INTO order_status_events (order_id, status, at)
    SELECT id, 'received', created_at FROM orders;

-- Order history and reports: newest first by creation time, ties by id.
CREATE INDEX orders_created_at_id ON orders (created_at DESC, id DESC);
