ALTER TABLE `tasks` ADD `worker` text DEFAULT 'claude' NOT NULL;--> statement-breakpoint
ALTER TABLE `tasks` ADD `reviewer` text DEFAULT 'codex' NOT NULL;