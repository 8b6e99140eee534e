CREATE TABLE IF NOT EXISTS alpha_widgets (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    enabled INTEGER NOT NULL DEFAULT 0,
    settings TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL
);
