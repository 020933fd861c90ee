ALTER TABLE `tasks` ADD `isolation` text DEFAULT 'none' NOT NULL;--> statement-breakpoint
ALTER TABLE `tasks` ADD `worktree_path` text;--> statement-breakpoint
ALTER TABLE `tasks` ADD `worktree_branch` text;