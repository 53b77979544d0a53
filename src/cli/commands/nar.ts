/**
 * CLI commands of this area (placeholder until the area lands).
 *
 * @module
 */
import type { Command } from "commander";

/** Registers this area's commands on `program`. */
export function registerNarCommands(_program: Command): void {}
