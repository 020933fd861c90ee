ALTER TABLE `iterations` ADD `changes` text;--> statement-breakpoint
ALTER TABLE `iterations` ADD `task_changes` text;