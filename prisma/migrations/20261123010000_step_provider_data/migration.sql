-- Opaque data a provider needs back verbatim in later requests (e.g. Anthropic's signed thinking blocks),
-- recorded with the step so a run resumed on another worker can send it.
ALTER TABLE "step" ADD COLUMN "provider_data" JSONB;
