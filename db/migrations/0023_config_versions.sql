CREATE TABLE "config_versions" (
	"version" bigserial PRIMARY KEY NOT NULL,
	"values" jsonb NOT NULL,
	"source" text NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
