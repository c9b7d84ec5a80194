import type { Command } from '../command.js';
import { compile } from './compile.js';
import { completionCommand } from './completion.js';
import { doctor } from './doctor.js';
import { explain } from './explain.js';
import { learn } from './learn.js';
import { lint } from './lint.js';
import { exportOci, importOci } from './oci.js';
import { report } from './report.js';
import { run } from './run.js';
import { test } from './test.js';

/** Every command, in the order `sysvm --help` lists them. */
export const COMMANDS: Command[] = [run, lint, compile, test, explain, learn, report, doctor, importOci, exportOci];
COMMANDS.push(completionCommand(() => COMMANDS));
