ALTER TABLE `iterations` ADD `claude_prompt_bytes` integer;--> statement-breakpoint
ALTER TABLE `iterations` ADD `codex_prompt_bytes` integer;--> statement-breakpoint
ALTER TABLE `tasks` ADD `continue_session` integer DEFAULT false NOT NULL;