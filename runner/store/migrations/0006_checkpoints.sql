ALTER TABLE `runs` ADD `checkpoint_epoch` integer;--> statement-breakpoint
ALTER TABLE `runs` ADD `kept` text;--> statement-breakpoint
ALTER TABLE `runs` ADD `kept_file` text;--> statement-breakpoint
ALTER TABLE `runs` ADD `kept_bytes` integer;