CREATE TABLE `events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`task_id` text NOT NULL,
	`iteration` integer,
	`type` text NOT NULL,
	`ts` text NOT NULL,
	`data` text DEFAULT '{}' NOT NULL,
	FOREIGN KEY (`task_id`) REFERENCES `tasks`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `events_task_idx` ON `events` (`task_id`,`id`);--> statement-breakpoint
CREATE TABLE `iterations` (
	`task_id` text NOT NULL,
	`n` integer NOT NULL,
	`status` text NOT NULL,
	`verdict` text,
	`started_at` text NOT NULL,
	`finished_at` text,
	`claude_duration_ms` integer,
	`codex_duration_ms` integer,
	`claude_session_id` text,
	`usage` text NOT NULL,
	PRIMARY KEY(`task_id`, `n`),
	FOREIGN KEY (`task_id`) REFERENCES `tasks`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `tasks` (
	`id` text PRIMARY KEY NOT NULL,
	`title` text NOT NULL,
	`prompt` text NOT NULL,
	`working_dir` text NOT NULL,
	`max_iterations` integer NOT NULL,
	`status` text NOT NULL,
	`status_reason` text,
	`current_iteration` integer DEFAULT 0 NOT NULL,
	`created_at` text NOT NULL,
	`started_at` text,
	`finished_at` text,
	`usage` text NOT NULL,
	`cost_usd` real,
	`retry_of` text
);
--> statement-breakpoint
CREATE INDEX `tasks_status_idx` ON `tasks` (`status`,`id`);