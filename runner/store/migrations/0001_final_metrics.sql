ALTER TABLE `runs` ADD `final_loss` real;--> statement-breakpoint
ALTER TABLE `runs` ADD `final_z_std` real;--> statement-breakpoint
ALTER TABLE `runs` ADD `final_knn_acc` real;--> statement-breakpoint
ALTER TABLE `runs` ADD `final_linear_acc` real;--> statement-breakpoint
UPDATE `runs` SET
	`final_loss` = (SELECT `value` FROM `metrics` WHERE `run_id` = `runs`.`id` AND `name` = 'loss' ORDER BY `epoch` DESC, `id` DESC LIMIT 1),
	`final_z_std` = (SELECT `value` FROM `metrics` WHERE `run_id` = `runs`.`id` AND `name` = 'z_std' ORDER BY `epoch` DESC, `id` DESC LIMIT 1),
	`final_knn_acc` = (SELECT `value` FROM `metrics` WHERE `run_id` = `runs`.`id` AND `name` = 'knn_acc' ORDER BY `epoch` DESC, `id` DESC LIMIT 1),
	`final_linear_acc` = (SELECT `value` FROM `metrics` WHERE `run_id` = `runs`.`id` AND `name` = 'linear_acc' ORDER BY `epoch` DESC, `id` DESC LIMIT 1)
WHERE `status` IN ('finished', 'diverged', 'failed', 'interrupted');
