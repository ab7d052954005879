-- Ticketing core: organizations and their members, events, ticket types, quotas, orders
-- with inventory holds, and per-buyer counters.
--
-- Inventory is two counters per ticket type and per quota: `held` (tickets in live pending
-- orders) and `sold` (tickets of paid orders). A purchase takes tickets with a conditional
-- UPDATE (`held = held + n WHERE sold + held + n <= capacity`), and the CHECK below makes an
-- oversell impossible even for a buggy caller. Releasing a hold (expiry, cancel) is a
-- conditional status change of the order plus `held = held - n`, in one transaction.

CREATE TABLE organizations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE memberships (
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('owner', 'manager', 'staff')),
    created_at BIGINT NOT NULL,
    CONSTRAINT memberships_org_user_key UNIQUE (organization_id, user_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);

CREATE TABLE events (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    timezone TEXT NOT NULL,
    venue_name TEXT,
    venue_address TEXT,
    city TEXT,
    country TEXT,
    latitude DOUBLE PRECISION,
    longitude DOUBLE PRECISION,
    online_url TEXT,
    currency TEXT NOT NULL,
    category TEXT NOT NULL,
    image_url TEXT,
    status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'canceled')),
    hold_minutes BIGINT NOT NULL DEFAULT 15 CHECK (hold_minutes BETWEEN 1 AND 1440),
    buyer_cap BIGINT NOT NULL DEFAULT 10 CHECK (buyer_cap BETWEEN 1 AND 1000),
    published_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CHECK (ends_at > starts_at)
);
CREATE INDEX events_org_idx ON events (organization_id);
CREATE INDEX events_listing_idx ON events (status, starts_at, id);

CREATE TABLE ticket_types (
    id TEXT PRIMARY KEY,
    event_id TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    price_minor BIGINT NOT NULL CHECK (price_minor >= 0),
    capacity BIGINT NOT NULL CHECK (capacity >= 0),
    held BIGINT NOT NULL DEFAULT 0 CHECK (held >= 0),
    sold BIGINT NOT NULL DEFAULT 0 CHECK (sold >= 0),
    sales_start BIGINT,
    sales_end BIGINT,
    min_per_order BIGINT NOT NULL DEFAULT 1 CHECK (min_per_order >= 1),
    max_per_order BIGINT NOT NULL DEFAULT 10 CHECK (max_per_order >= min_per_order),
    visibility TEXT NOT NULL DEFAULT 'public' CHECK (visibility IN ('public', 'hidden')),
    position BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT ticket_types_no_oversell CHECK (sold + held <= capacity)
);
CREATE INDEX ticket_types_event_idx ON ticket_types (event_id);

-- A shared limit over several ticket types of one event ("all standing: 500").
CREATE TABLE quotas (
    id TEXT PRIMARY KEY,
    event_id TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    capacity BIGINT NOT NULL CHECK (capacity >= 0),
    held BIGINT NOT NULL DEFAULT 0 CHECK (held >= 0),
    sold BIGINT NOT NULL DEFAULT 0 CHECK (sold >= 0),
    created_at BIGINT NOT NULL,
    CONSTRAINT quotas_no_oversell CHECK (sold + held <= capacity)
);
CREATE INDEX quotas_event_idx ON quotas (event_id);

CREATE TABLE quota_ticket_types (
    quota_id TEXT NOT NULL REFERENCES quotas (id) ON DELETE CASCADE,
    ticket_type_id TEXT NOT NULL REFERENCES ticket_types (id) ON DELETE CASCADE,
    PRIMARY KEY (quota_id, ticket_type_id)
);
CREATE INDEX quota_ticket_types_type_idx ON quota_ticket_types (ticket_type_id);

-- `expires_at` is the end of the hold of a pending order. `released_at` is set in the same
-- transaction that gives a hold's inventory back, so a hold is released at most once.
CREATE TABLE orders (
    id TEXT PRIMARY KEY,
    event_id TEXT NOT NULL REFERENCES events (id),
    buyer_user_id TEXT REFERENCES users (id),
    buyer_key TEXT NOT NULL,
    buyer_email TEXT NOT NULL,
    buyer_name TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'expired', 'canceled', 'refunded', 'partially_refunded')),
    expires_at BIGINT NOT NULL,
    total_minor BIGINT NOT NULL CHECK (total_minor >= 0),
    currency TEXT NOT NULL,
    quantity BIGINT NOT NULL CHECK (quantity >= 1),
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    released_at BIGINT,
    paid_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT orders_idempotency_key UNIQUE (idempotency_key)
);
CREATE INDEX orders_event_idx ON orders (event_id, created_at);
CREATE INDEX orders_buyer_idx ON orders (buyer_user_id);
CREATE INDEX orders_hold_expiry_idx ON orders (status, expires_at);

CREATE TABLE order_lines (
    order_id TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    ticket_type_id TEXT NOT NULL REFERENCES ticket_types (id),
    quantity BIGINT NOT NULL CHECK (quantity >= 1),
    unit_price_minor BIGINT NOT NULL CHECK (unit_price_minor >= 0),
    total_minor BIGINT NOT NULL CHECK (total_minor >= 0),
    PRIMARY KEY (order_id, ticket_type_id)
);
CREATE INDEX order_lines_type_idx ON order_lines (ticket_type_id);

-- Tickets a buyer holds for an event (live pending and paid orders), taken with a
-- conditional upsert in the purchase transaction so the per-buyer cap holds across replicas.
CREATE TABLE buyer_event_counts (
    event_id TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    buyer_key TEXT NOT NULL,
    quantity BIGINT NOT NULL CHECK (quantity >= 0),
    PRIMARY KEY (event_id, buyer_key)
);
