CREATE TABLE `plans` (
	`hash` text PRIMARY KEY NOT NULL,
	`json` text NOT NULL,
	`path` text NOT NULL,
	`first_used_at` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `runs` ADD `plan_hash` text;