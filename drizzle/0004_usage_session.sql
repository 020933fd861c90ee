CREATE TABLE `subscription_windows` (
	`agent` text NOT NULL,
	`window` text NOT NULL,
	`status` text NOT NULL,
	`utilization` real,
	`resets_at` text,
	`overage` text,
	`updated_at` text NOT NULL,
	PRIMARY KEY(`agent`, `window`)
);
--> statement-breakpoint
ALTER TABLE `iterations` ADD `claude_prompt_bytes` integer;--> statement-breakpoint
ALTER TABLE `iterations` ADD `codex_prompt_bytes` integer;--> statement-breakpoint
ALTER TABLE `tasks` ADD `max_cost_usd` real;--> statement-breakpoint
ALTER TABLE `tasks` ADD `max_codex_tokens` integer;--> statement-breakpoint
ALTER TABLE `tasks` ADD `continue_session` integer DEFAULT false NOT NULL;