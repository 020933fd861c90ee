CREATE TABLE `notes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`task_id` text NOT NULL,
	`text` text NOT NULL,
	`created_at` text NOT NULL,
	`for_iteration` integer NOT NULL,
	`worker_iteration` integer,
	`reviewer_iteration` integer,
	FOREIGN KEY (`task_id`) REFERENCES `tasks`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `notes_task_idx` ON `notes` (`task_id`,`id`);--> statement-breakpoint
ALTER TABLE `findings` ADD `dismiss_reason` text;--> statement-breakpoint
ALTER TABLE `tasks` ADD `pause_after_iteration` integer DEFAULT false NOT NULL;