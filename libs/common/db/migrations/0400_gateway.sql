-- The gateway: browser sessions, webhook routing and bookkeeping.

CREATE TABLE sessions (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    token_hash      bytea NOT NULL UNIQUE,
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_seen_at    timestamptz,
    expires_at      timestamptz NOT NULL,
    revoked_at      timestamptz
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- Deliveries name their hook (X-GitHub-Hook-ID) and repository (its GitHub id): the api
-- finds the repository's webhook secret by either before it reads the body.
CREATE INDEX repositories_webhook ON repositories (webhook_id) WHERE webhook_id IS NOT NULL;
CREATE INDEX repositories_github_id ON repositories (github_id) WHERE github_id IS NOT NULL;
ALTER TABLE repositories ADD COLUMN upstream_deleted_at timestamptz;

ALTER TABLE webhook_deliveries
    ADD COLUMN attempts integer NOT NULL DEFAULT 0,
    ADD COLUMN job_ids uuid[] NOT NULL DEFAULT '{}';
ALTER TABLE webhook_deliveries
    ADD CONSTRAINT webhook_deliveries_status
    CHECK (status IN ('received', 'processed', 'ignored', 'failed', 'dead'));
CREATE INDEX webhook_deliveries_org ON webhook_deliveries (organization_id, received_at DESC);

-- GitHub App installations, as their webhooks report them.
CREATE TABLE github_installations (
    installation_id bigint PRIMARY KEY,
    account_login   text NOT NULL,
    account_type    text,
    status          text NOT NULL CHECK (status IN ('active', 'suspended', 'deleted')),
    repositories    text[] NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
