-- The founder's interview pipeline. An opted-in user (web_interviews) with no row here has not
-- been invited yet; then invited -> scheduled -> done, with notes and the next step. Every move
-- is kept in web_interview_moves (who moved it, when, with what note).
CREATE TABLE IF NOT EXISTS web_interview_pipeline (
    user_id TEXT PRIMARY KEY,
    stage TEXT NOT NULL,
    notes TEXT NOT NULL DEFAULT '',
    next_step TEXT NOT NULL DEFAULT '',
    -- When the invitation email was queued (NULL: invited some other way).
    invited_at BIGINT,
    updated_at BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS web_interview_moves (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    stage TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    moved_by TEXT NOT NULL,
    moved_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS web_interview_moves_user ON web_interview_moves (user_id, moved_at);

-- The founders' weekly digest: one row per week sent, so a restart or a second instance never
-- sends the same week twice.
CREATE TABLE IF NOT EXISTS web_founder_digests (
    week BIGINT PRIMARY KEY,
    sent_at BIGINT NOT NULL
);
