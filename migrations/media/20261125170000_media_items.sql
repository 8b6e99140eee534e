-- Who uploaded which image. The file itself is in the media store, named by the SHA-256 of the
-- PNG we re-encoded (`id`, 64 lower-case hex digits): the same picture uploaded by two users is
-- one file and two rows, and each of them owns it.
CREATE TABLE IF NOT EXISTS media_items (
    id TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    bytes BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (owner_id, id)
);
