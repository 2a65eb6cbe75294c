// The one shape of `commands/<command>.ts`: each exports a register function that adds its command
// (options, help, action) to the program; main.ts calls them in the order --help lists them.

import type { Command } from 'commander';
import type { Logger } from 'pino';

export type RegisterCommand = (program: Command, logger: Logger) => void;
