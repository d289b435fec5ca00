ALTER TABLE "usage_ledger" ADD COLUMN "part" text DEFAULT 'reply' NOT NULL;--> statement-breakpoint
ALTER TABLE "usage_ledger" DROP CONSTRAINT "usage_ledger_agent_id_branch_step_pk";--> statement-breakpoint
ALTER TABLE "usage_ledger" ADD CONSTRAINT "usage_ledger_agent_id_branch_step_part_pk" PRIMARY KEY("agent_id","branch","step","part");
