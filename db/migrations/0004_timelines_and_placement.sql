ALTER TABLE "usage_ledger" ADD COLUMN "branch" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "usage_ledger" DROP CONSTRAINT "usage_ledger_agent_id_step_pk";--> statement-breakpoint
ALTER TABLE "usage_ledger" ADD CONSTRAINT "usage_ledger_agent_id_branch_step_pk" PRIMARY KEY("agent_id","branch","step");--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "node" text;--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "branch" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "checkpoints" ADD COLUMN "branch" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "checkpoints" ADD COLUMN "abandoned_by" integer;--> statement-breakpoint
ALTER TABLE "memories" ADD COLUMN "abandoned" boolean DEFAULT false NOT NULL;
