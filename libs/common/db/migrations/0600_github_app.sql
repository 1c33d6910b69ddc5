-- GitHub App mode (docs/github-app.md): which installation serves a repository, whether
-- its badge is public, its regression rule, and the score history's index.

ALTER TABLE repositories
    ADD COLUMN installation_id bigint,
    ADD COLUMN badge_public boolean NOT NULL DEFAULT false,
    -- A push whose score drops by more than this fails its check run (NULL: the default).
    ADD COLUMN regression_max_drop integer CHECK (regression_max_drop BETWEEN 0 AND 100),
    ADD COLUMN regression_on_critical boolean NOT NULL DEFAULT true;
CREATE INDEX repositories_installation ON repositories (installation_id)
    WHERE installation_id IS NOT NULL;
CREATE INDEX github_installations_account ON github_installations (lower(account_login));

ALTER TABLE github_installations ADD COLUMN organization_id uuid REFERENCES organizations (id) ON DELETE SET NULL;
