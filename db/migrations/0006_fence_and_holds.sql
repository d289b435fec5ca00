ALTER TABLE "agents" ADD COLUMN "fence" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "hold" text;--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "hold_detail" text;--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "pending_approval" jsonb;