-- Microsite pages. `draft` is what the owner edits; `published` is the frozen snapshot visitors
-- see (NULL while unpublished). Both are JSON documents of the page content.
CREATE TABLE IF NOT EXISTS microsite_pages (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL,
    slug TEXT NOT NULL,
    draft TEXT NOT NULL,
    published TEXT,
    published_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE UNIQUE INDEX IF NOT EXISTS microsite_pages_slug ON microsite_pages (slug);
CREATE INDEX IF NOT EXISTS microsite_pages_owner ON microsite_pages (owner_id, created_at);
