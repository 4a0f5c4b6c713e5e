// Subcommands beyond the database basics, one registration per area.
import type { Command } from 'commander';

export function registerCommands(_program: Command, _log: (m: string) => void): void {}
