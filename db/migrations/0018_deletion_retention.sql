CREATE TABLE "retention_policies" (
	"tenant" text PRIMARY KEY NOT NULL,
	"finished_agent_days" integer,
	"checkpoint_days" integer,
	"updated_by" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "deleted_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "history_deleted_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "checkpoints" ADD COLUMN "tags" jsonb DEFAULT '[]'::jsonb NOT NULL;