ALTER TABLE `tasks` ADD `base_branch` text;--> statement-breakpoint
ALTER TABLE `tasks` ADD `landed` text;