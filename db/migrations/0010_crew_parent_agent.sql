ALTER TABLE "crews" ADD COLUMN "parent_agent_id" text;--> statement-breakpoint
ALTER TABLE "crews" ADD CONSTRAINT "crews_parent_agent_id_agents_id_fk" FOREIGN KEY ("parent_agent_id") REFERENCES "public"."agents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "crews_parent_agent_idx" ON "crews" USING btree ("parent_agent_id");