DROP INDEX "usage_ledger_tenant_idx";--> statement-breakpoint
CREATE INDEX "usage_ledger_tenant_idx" ON "usage_ledger" USING btree ("tenant","created_at");