import type { Command } from '../command.js';
import { compile } from './compile.js';
import { doctor } from './doctor.js';
import { learn } from './learn.js';
import { lint } from './lint.js';
import { report } from './report.js';
import { run } from './run.js';

/** Every command, in the order `sysvm --help` lists them. */
export const COMMANDS: Command[] = [run, lint, compile, learn, report, doctor];
