CREATE TABLE "crews" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"tenant" text NOT NULL,
	"spec" jsonb NOT NULL,
	"status" text DEFAULT 'ready' NOT NULL,
	"run" integer DEFAULT 1 NOT NULL,
	"kind" text DEFAULT 'crew' NOT NULL,
	"fork_of" jsonb,
	"prompt_tokens" integer DEFAULT 0 NOT NULL,
	"completion_tokens" integer DEFAULT 0 NOT NULL,
	"cost_usd" double precision DEFAULT 0 NOT NULL,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "crew_nodes" (
	"crew_id" text NOT NULL,
	"run" integer NOT NULL,
	"node_id" text NOT NULL,
	"kind" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempt" integer DEFAULT 0 NOT NULL,
	"agent_id" text,
	"result_page_id" text,
	"via" text,
	"items" integer,
	"items_completed" integer,
	"items_failed" integer,
	"prompt_tokens" integer DEFAULT 0 NOT NULL,
	"completion_tokens" integer DEFAULT 0 NOT NULL,
	"cost_usd" double precision DEFAULT 0 NOT NULL,
	"error" text,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	CONSTRAINT "crew_nodes_crew_id_run_node_id_pk" PRIMARY KEY("crew_id","run","node_id")
);
--> statement-breakpoint
CREATE TABLE "crew_items" (
	"crew_id" text NOT NULL,
	"run" integer NOT NULL,
	"node_id" text NOT NULL,
	"idx" integer NOT NULL,
	"value" text NOT NULL,
	"agent_id" text,
	"status" text DEFAULT 'pending' NOT NULL,
	"result_page_id" text,
	CONSTRAINT "crew_items_crew_id_run_node_id_idx_pk" PRIMARY KEY("crew_id","run","node_id","idx")
);
--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "crew_id" text;--> statement-breakpoint
ALTER TABLE "crew_nodes" ADD CONSTRAINT "crew_nodes_crew_id_crews_id_fk" FOREIGN KEY ("crew_id") REFERENCES "public"."crews"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "crew_items" ADD CONSTRAINT "crew_items_crew_id_crews_id_fk" FOREIGN KEY ("crew_id") REFERENCES "public"."crews"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "crews_tenant_idx" ON "crews" USING btree ("tenant","created_at");--> statement-breakpoint
CREATE INDEX "agents_parent_idx" ON "agents" USING btree ("parent_id");--> statement-breakpoint
CREATE INDEX "agents_crew_idx" ON "agents" USING btree ("crew_id");