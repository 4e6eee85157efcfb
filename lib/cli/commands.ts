/** The subcommands of the `kata-blueprints` CLI. Each module adds its own command to the program. */
import { Command } from 'commander';
import { registerCheckCommand } from './check';
import { registerPlanCommand } from './plan';

/** Adds every subcommand to `program`. */
export function registerCommands(program: Command): void {
  void program;
  registerCheckCommand(program);
  registerPlanCommand(program);
}
