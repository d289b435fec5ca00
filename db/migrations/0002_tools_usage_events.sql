CREATE TABLE "tool_calls" (
	"id" text PRIMARY KEY NOT NULL,
	"agent_id" text NOT NULL,
	"step" integer NOT NULL,
	"call_id" text NOT NULL,
	"tool" text NOT NULL,
	"arguments" jsonb NOT NULL,
	"status" text NOT NULL,
	"decided_by" text,
	"result" text,
	"result_page_id" text,
	"duration_ms" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "usage_ledger" (
	"agent_id" text NOT NULL,
	"step" integer NOT NULL,
	"tenant" text NOT NULL,
	"model" text NOT NULL,
	"prompt_tokens" integer NOT NULL,
	"completion_tokens" integer NOT NULL,
	"cost_usd" double precision NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "usage_ledger_agent_id_step_pk" PRIMARY KEY("agent_id","step")
);
--> statement-breakpoint
CREATE TABLE "agent_events" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"agent_id" text NOT NULL,
	"step" integer NOT NULL,
	"kind" text NOT NULL,
	"data" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "cost_usd" double precision DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "tool_calls" ADD CONSTRAINT "tool_calls_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "usage_ledger" ADD CONSTRAINT "usage_ledger_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "tool_calls_agent_idx" ON "tool_calls" USING btree ("agent_id","step");--> statement-breakpoint
CREATE INDEX "usage_ledger_tenant_idx" ON "usage_ledger" USING btree ("tenant");--> statement-breakpoint
CREATE INDEX "agent_events_agent_seq_idx" ON "agent_events" USING btree ("agent_id","seq");