-- `microsite` codes remember which of the owner's microsites they point at; `destination` keeps
-- that microsite's public URL (PUBLIC_BASE_URL/m/{slug}) so the redirect never asks microsite.
ALTER TABLE qr_codes ADD COLUMN microsite_id TEXT;
