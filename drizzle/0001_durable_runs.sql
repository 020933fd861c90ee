CREATE TABLE `agent_runs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`task_id` text NOT NULL,
	`iteration` integer NOT NULL,
	`agent` text NOT NULL,
	`marker` text NOT NULL,
	`pid` integer,
	`pgid` integer,
	`proc_start` text,
	`server_pid` integer NOT NULL,
	`started_at` text NOT NULL,
	`ended_at` text
);
--> statement-breakpoint
CREATE INDEX `agent_runs_open_idx` ON `agent_runs` (`ended_at`);--> statement-breakpoint
CREATE TABLE `app_state` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL
);
--> statement-breakpoint
ALTER TABLE `iterations` ADD `claude_output` text;--> statement-breakpoint
ALTER TABLE `iterations` ADD `review` text;--> statement-breakpoint
ALTER TABLE `tasks` ADD `queue_pos` real DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `tasks_queue_idx` ON `tasks` (`status`,`queue_pos`,`id`);