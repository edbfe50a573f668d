import type { Command } from './command.ts';

/** A subcommand documented in --help whose capability lands with a later issue: says so and exits 1. */
export function pendingCommand(name: string, summary: string, usage: string, issue: number): Command {
  return {
    name,
    summary,
    usage,
    options: {},
    async run(_parsed, io) {
      io.stderr.write(`switchyard ${name}: not available in this version yet (tracked in issue ${issue})\n`);
      return 1;
    },
  };
}
