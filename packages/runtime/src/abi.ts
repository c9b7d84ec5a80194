// Syscall names for the runtime: the one door to @sysvm/policy's syscall catalogue
// (generated from the Linux sources).
import { abi } from '@sysvm/policy/evaluate';

export function syscallName(nr: number): string {
  return abi.syscallName('x86_64', nr) ?? `syscall_${nr}`;
}

export function syscallNumber(name: string): number | undefined {
  return abi.syscallNumber('x86_64', name);
}

export const syscallByName = abi.syscallByName;
