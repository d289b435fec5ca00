CREATE TABLE "agents" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"role" text NOT NULL,
	"goal" text NOT NULL,
	"backstory" text,
	"model" text NOT NULL,
	"tenant" text DEFAULT 'default' NOT NULL,
	"priority" integer DEFAULT 5 NOT NULL,
	"status" text DEFAULT 'ready' NOT NULL,
	"step" integer DEFAULT 0 NOT NULL,
	"max_steps" integer NOT NULL,
	"parent_id" text,
	"workflow_id" text NOT NULL,
	"run_id" text,
	"prompt_tokens" integer DEFAULT 0 NOT NULL,
	"completion_tokens" integer DEFAULT 0 NOT NULL,
	"result_page_id" text,
	"exit_reason" text,
	"error" text,
	"definition" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "checkpoints" (
	"id" text PRIMARY KEY NOT NULL,
	"agent_id" text NOT NULL,
	"step" integer NOT NULL,
	"run_id" text NOT NULL,
	"history_event_id" bigint,
	"state" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "context_pages" (
	"id" text PRIMARY KEY NOT NULL,
	"agent_id" text NOT NULL,
	"kind" text NOT NULL,
	"role" text NOT NULL,
	"body" text NOT NULL,
	"tokens" integer NOT NULL,
	"importance" real DEFAULT 0.5 NOT NULL,
	"pinned" boolean DEFAULT false NOT NULL,
	"step" integer NOT NULL,
	"purpose" text NOT NULL,
	"last_access_step" integer DEFAULT 0 NOT NULL,
	"access_count" integer DEFAULT 0 NOT NULL,
	"parent_page_id" text,
	"meta" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"tsv" "tsvector" GENERATED ALWAYS AS (to_tsvector('english', body)) STORED NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "memories" (
	"id" text PRIMARY KEY NOT NULL,
	"agent_id" text,
	"crew_id" text,
	"scope" text NOT NULL,
	"key" text NOT NULL,
	"content" text NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"supersedes_id" text,
	"meta" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "nodes" (
	"id" text PRIMARY KEY NOT NULL,
	"hostname" text NOT NULL,
	"task_queue" text NOT NULL,
	"status" text DEFAULT 'alive' NOT NULL,
	"capabilities" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"gpus" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"heartbeat_at" timestamp with time zone DEFAULT now() NOT NULL,
	"lease_expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "leases" (
	"resource" text PRIMARY KEY NOT NULL,
	"holder" text NOT NULL,
	"data" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"acquired_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "audit_log" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"subject" text NOT NULL,
	"data" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"idempotency_key" text NOT NULL,
	"prev_hash" text NOT NULL,
	"hash" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "checkpoints" ADD CONSTRAINT "checkpoints_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "context_pages" ADD CONSTRAINT "context_pages_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "memories" ADD CONSTRAINT "memories_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "agents_status_idx" ON "agents" USING btree ("status");--> statement-breakpoint
CREATE INDEX "agents_tenant_idx" ON "agents" USING btree ("tenant");--> statement-breakpoint
CREATE UNIQUE INDEX "checkpoints_agent_step_run_uq" ON "checkpoints" USING btree ("agent_id","step","run_id");--> statement-breakpoint
CREATE INDEX "checkpoints_agent_idx" ON "checkpoints" USING btree ("agent_id");--> statement-breakpoint
CREATE UNIQUE INDEX "context_pages_agent_step_purpose_uq" ON "context_pages" USING btree ("agent_id","step","purpose");--> statement-breakpoint
CREATE INDEX "context_pages_agent_step_idx" ON "context_pages" USING btree ("agent_id","step");--> statement-breakpoint
CREATE INDEX "context_pages_tsv_idx" ON "context_pages" USING gin ("tsv");--> statement-breakpoint
CREATE INDEX "memories_agent_scope_key_idx" ON "memories" USING btree ("agent_id","scope","key");--> statement-breakpoint
CREATE UNIQUE INDEX "audit_log_idempotency_uq" ON "audit_log" USING btree ("idempotency_key");