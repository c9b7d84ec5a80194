// Syscall names for the runtime: the one door to the syscall catalogue.
// TODO(abi): replace the body with @sysvm/policy's generated catalogue
// (`syscallName('x86_64', nr)`, `syscallNumber('x86_64', name)`) once it lands on main.
// Until then the names are read from the installed kernel UAPI header (never hand-typed).
import { readFileSync } from 'node:fs';

let byNr: Map<number, string> | null = null;
let byName: Map<string, number> | null = null;

function load(): void {
  byNr = new Map();
  byName = new Map();
  let text = '';
  try {
    text = readFileSync('/usr/include/x86_64-linux-gnu/asm/unistd_64.h', 'utf8');
  } catch {
    return;
  }
  for (const m of text.matchAll(/^#define __NR_(\w+) (\d+)$/gm)) {
    byNr.set(Number(m[2]), m[1]!);
    byName.set(m[1]!, Number(m[2]));
  }
}

export function syscallName(nr: number): string {
  if (byNr === null) load();
  return byNr!.get(nr) ?? `syscall_${nr}`;
}

export function syscallNumber(name: string): number | undefined {
  if (byName === null) load();
  return byName!.get(name);
}
