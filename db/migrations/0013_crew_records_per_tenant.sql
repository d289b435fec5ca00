-- Crew memory records get ids no agent can take: `crew-<name>@<tenant>` (agent ids never hold "@").
-- Records made before (`crew-<name>`, tenant default) are copied to the new id with their pages and
-- memories; the old rows stay, owning nothing.
INSERT INTO "agents" ("id", "name", "role", "goal", "model", "tenant", "status", "max_steps", "workflow_id", "definition")
SELECT "id" || '@' || "tenant", "name", "role", "goal", "model", "tenant", "status", "max_steps", "id" || '@' || "tenant", "definition"
FROM "agents" WHERE "definition" ? 'crewRecord' AND "id" NOT LIKE '%@%'
ON CONFLICT ("id") DO NOTHING;--> statement-breakpoint
UPDATE "context_pages" SET "agent_id" = "agent_id" || '@default'
WHERE "agent_id" IN (SELECT "id" FROM "agents" WHERE "definition" ? 'crewRecord' AND "id" NOT LIKE '%@%' AND "tenant" = 'default');--> statement-breakpoint
UPDATE "memories" SET "agent_id" = "agent_id" || '@default'
WHERE "agent_id" IN (SELECT "id" FROM "agents" WHERE "definition" ? 'crewRecord' AND "id" NOT LIKE '%@%' AND "tenant" = 'default');
