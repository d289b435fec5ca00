ALTER TABLE "usage_ledger" ADD COLUMN "cache_read_tokens" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "usage_ledger" ADD COLUMN "cache_write_tokens" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "usage_ledger" ADD COLUMN "reasoning_tokens" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "usage_ledger" ADD COLUMN "state" text DEFAULT 'billed' NOT NULL;--> statement-breakpoint
ALTER TABLE "usage_ledger" ADD COLUMN "estimated_cost_usd" double precision;--> statement-breakpoint
ALTER TABLE "usage_ledger" ADD COLUMN "reserved_by" bigint;--> statement-breakpoint
CREATE INDEX "usage_ledger_created_idx" ON "usage_ledger" USING btree ("created_at");