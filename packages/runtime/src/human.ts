// The human messages on stderr: a line per denial, at most a few per kind.
//
// A program that is refused the same thing many times (ps reading /proc/N/environ of every
// process, a build probing a refused directory per file) would bury its own output under
// sysvm's lines. So, as the kernel's printk rate limit and journald do, a kind of denial
// (its verdict, system call and rule) gets its first `perKind` lines; the rest are counted,
// and at the end of the run one line per kind says how many were not shown. Kills are
// always shown (one ends a process). A rule marked `quiet: true` (a refusal the program is
// expected to cope with: git's absent user configuration) prints none. The audit stream
// (--log, the 'decision' events) has every one.
import type { AuditEvent } from './types.js';

/** One line for a human, per denial. */
export function humanLine(e: AuditEvent): string {
  const args = Object.entries(e.args).filter(([, v]) => typeof v === 'string' && !v.startsWith('0x'))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ');
  const what = e.audit ? `audit: would ${e.verdict === 'kill' ? 'kill the process at' : 'deny'}`
    : e.verdict === 'kill' ? 'killed the process at' : 'denied';
  if (e.audit) {
    const res = e.result === null ? '' : ` = ${e.result}`;
    const as = e.verdict === 'deny' ? ` with ${e.detail ?? 'an error'}` : '';
    return `sysvm: ${what} ${e.syscall}(${args})${as}; ran${res} [pid ${e.pid}] by ${e.rule}${e.source ? ` at ${e.source}` : ''}\n`;
  }
  const res = e.result === null ? '' : ` = ${e.result}${e.detail ? ` (${e.detail})` : ''}`;
  const where = e.source ? ` at ${e.source}` : '';
  return `sysvm: ${what} ${e.syscall}(${args})${res} [pid ${e.pid}] by ${e.rule}${where}\n`;
}

/** The first lines per kind of denial, then counts. */
export class DenialLines {
  private readonly kinds = new Map<string, { shown: number; hidden: number; first: AuditEvent }>();

  /** `perKind`: lines shown per kind (Infinity: every one). */
  constructor(private readonly perKind: number) {}

  /** The line to print for this event now, or null (not a denial, or over its kind's count). */
  line(e: AuditEvent): string | null {
    if (e.verdict !== 'deny' && e.verdict !== 'kill') return null;
    if (e.quiet === true && e.verdict === 'deny') return null;
    if (e.verdict === 'kill' || this.perKind === Infinity) return humanLine(e);
    const key = `${e.audit === true ? 'audit ' : ''}${e.syscall} ${e.rule} ${e.source ?? ''}`;
    let k = this.kinds.get(key);
    if (k === undefined) {
      k = { shown: 0, hidden: 0, first: e };
      this.kinds.set(key, k);
    }
    if (k.shown < this.perKind) {
      k.shown++;
      return humanLine(e);
    }
    k.hidden++;
    return null;
  }

  /** At the end of the run: a line per kind that had lines left out. */
  summary(): string {
    let out = '';
    for (const { hidden, first: e } of this.kinds.values()) {
      if (hidden === 0) continue;
      const what = e.audit === true ? 'would-be denials' : 'denials';
      out += `sysvm: ${hidden} more ${what} of ${e.syscall} by ${e.rule}${e.source ? ` at ${e.source}` : ''}, not shown one` +
        ' by one (sysvm run -v shows each, --log FILE records each)\n';
    }
    return out;
  }
}
