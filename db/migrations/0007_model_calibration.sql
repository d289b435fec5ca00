CREATE TABLE "model_calibration" (
	"model" text PRIMARY KEY NOT NULL,
	"ratios" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"samples" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
