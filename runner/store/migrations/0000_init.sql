CREATE TABLE `experiments` (
	`name` text PRIMARY KEY NOT NULL,
	`title` text NOT NULL,
	`spec_json` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `metrics` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`run_id` integer NOT NULL,
	`name` text NOT NULL,
	`epoch` integer NOT NULL,
	`step` integer NOT NULL,
	`value` real,
	`non_finite` text,
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `metrics_run_name_epoch` ON `metrics` (`run_id`,`name`,`epoch`);--> statement-breakpoint
CREATE TABLE `runs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`experiment` text NOT NULL,
	`cell_hash` text NOT NULL,
	`row_label` text NOT NULL,
	`axes_json` text NOT NULL,
	`seed` integer NOT NULL,
	`preset` text NOT NULL,
	`status` text NOT NULL,
	`config_json` text NOT NULL,
	`backend` text,
	`package_version` text NOT NULL,
	`git_commit` text,
	`host` text NOT NULL,
	`pid` integer,
	`queued_at` integer NOT NULL,
	`started_at` integer,
	`heartbeat_at` integer,
	`finished_at` integer,
	`error` text,
	FOREIGN KEY (`experiment`) REFERENCES `experiments`(`name`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `runs_experiment_cell` ON `runs` (`experiment`,`cell_hash`);--> statement-breakpoint
CREATE INDEX `runs_status` ON `runs` (`status`);