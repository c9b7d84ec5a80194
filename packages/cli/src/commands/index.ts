import type { Command } from '../command.js';
import { compile } from './compile.js';
import { completionCommand } from './completion.js';
import { explain } from './explain.js';
import { lint } from './lint.js';
import { exportOci, importOci } from './oci.js';
import { run } from './run.js';
import { test } from './test.js';

/** Every command, in the order `sysvm --help` lists them. */
export const COMMANDS: Command[] = [run, lint, compile, test, explain, importOci, exportOci];
COMMANDS.push(completionCommand(() => COMMANDS));
