ALTER TABLE `iterations` ADD `check` text;--> statement-breakpoint
ALTER TABLE `iterations` ADD `check_output` text;--> statement-breakpoint
ALTER TABLE `tasks` ADD `check_command` text;--> statement-breakpoint
ALTER TABLE `tasks` ADD `check_timeout_ms` integer DEFAULT 600000 NOT NULL;--> statement-breakpoint
ALTER TABLE `tasks` ADD `allowed_commands` text DEFAULT '[]' NOT NULL;