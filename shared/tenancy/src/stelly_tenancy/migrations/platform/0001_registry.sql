-- The tenant registry (SPEC §2). The schema name is stored, never derived.
CREATE TABLE tenants (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug         text NOT NULL UNIQUE
                 CHECK (slug ~ '^[a-z][a-z0-9-]{1,30}[a-z0-9]$'),
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    schema_name  text NOT NULL UNIQUE
                 CHECK (schema_name ~ '^[a-z_][a-z0-9_]{0,62}$' AND schema_name NOT LIKE 'pg\_%'),
    status       text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    currency     text NOT NULL DEFAULT 'EUR' CHECK (currency ~ '^[A-Z]{3}$'),
    timezone     text NOT NULL DEFAULT 'UTC',
    schema_head  text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE tenant_domains (
    domain      text PRIMARY KEY CHECK (domain = lower(domain) AND length(domain) <= 253),
    tenant_id   bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tenant_domains_tenant_id ON tenant_domains (tenant_id);

-- Which tenant migrations each schema has; `tenants.schema_head` summarises it
-- so that a no-op `stelly migrate` is one query, whatever the tenant count.
CREATE TABLE tenant_migrations (
    tenant_id   bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    component   text NOT NULL,
    version     integer NOT NULL,
    name        text NOT NULL,
    checksum    text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, component, version)
);
