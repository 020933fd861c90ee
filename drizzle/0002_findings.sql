CREATE TABLE `findings` (
	`task_id` text NOT NULL,
	`id` text NOT NULL,
	`seq` integer NOT NULL,
	`text` text NOT NULL,
	`status` text NOT NULL,
	`first_iteration` integer NOT NULL,
	`last_iteration` integer NOT NULL,
	`open_since` integer,
	`streak` integer NOT NULL,
	`resolved_iteration` integer,
	PRIMARY KEY(`task_id`, `id`),
	FOREIGN KEY (`task_id`) REFERENCES `tasks`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
ALTER TABLE `iterations` ADD `snapshot_before` text;--> statement-breakpoint
ALTER TABLE `iterations` ADD `snapshot_after` text;