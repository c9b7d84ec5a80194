// The seccomp-BPF back end: PolicyIR -> a classic BPF program the kernel runs on every
// system call. It decides alone what needs only the syscall number and integer
// arguments (ALLOW, ERRNO, KILL_PROCESS) and sends the rest to the supervisor with
// SECCOMP_RET_TRACE | (rule index + 1), or | 0 for the default.
//
// Shape of the program:
//   ld arch; not the native arch      -> ERRNO(ENOSYS)   (guards, see safety.ts)
//   ld nr;   nr == -1                 -> ALLOW
//            nr & X32 bit             -> ERRNO(ENOSYS)
//   dispatch on nr (a jeq chain for few syscalls; for many, a binary search tree of jge
//   over intervals of numbers that share a target)
//   per syscall: its rules in order, each alternative's integer conditions, then the
//   default; the return instructions are shared at the end of the program.
import type { ArchName, IntCondition, PolicyIR } from '../ir.js';
import { Assembler, type Target } from '../bpf/asm.js';
import { BPF_AND, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JSET, BPF_MAXINSNS, BPF_XOR, SECCOMP_DATA, type Insn } from '../bpf/isa.js';
import { disassemble } from '../bpf/disasm.js';
import { optimizeProgram } from '../bpf/optimize.js';
import { validateProgram } from '../bpf/validate.js';
import { kernelRet } from './plan.js';
import { CompileError } from './errors.js';
import { planPolicy, type PolicyPlan, type SyscallPlan } from './plan.js';
import { NR_SKIP, X32_SYSCALL_BIT, auditArch, prefilterGuards } from './safety.js';

export interface BpfStats {
  instructions: number;
  /** Syscalls the dispatch tests for (those whose outcome differs from the default). */
  syscallsDispatched: number;
  dispatch: 'linear' | 'binary-search';
  /** Named syscalls by where their invocations are decided. */
  syscalls: { kernel: number; supervisor: number; mixed: number };
  /** Return points (rule alternatives, defaults) the kernel decides alone / sends to the supervisor. */
  decisions: { kernel: number; supervisor: number };
  /** Conditional jumps longer than 255 routed through a `ja` (before optimization). */
  longJumps: number;
  /** Instructions before the optimizer ran (equal to `instructions` when it did not). */
  unoptimizedInstructions: number;
  /** How often each optimizer pass changed the program. */
  optimizer: Record<string, number>;
  /** Syscall names some rule uses that have no number on this architecture (not compiled). */
  unknownSyscalls: string[];
}

export interface CompiledBpf {
  program: Insn[];
  /** Per instruction, a note for the disassembler (syscall names, rule names). */
  comments: (string | undefined)[];
  stats: BpfStats;
  plan: PolicyPlan;
}

/** Up to this many dispatched syscalls, a linear jeq chain; beyond, a binary search. */
export const LINEAR_DISPATCH_MAX = 8;
const SIGN_BIT = 0x80000000;
const SIGN_BIT_16 = 0x8000;

/** A u32 split of a 64-bit operand. */
function halves(v: bigint): { hi: number; lo: number } {
  const u = BigInt.asUintN(64, v);
  return { hi: Number(u >> 32n), lo: Number(u & 0xffffffffn) };
}

class Emitter {
  readonly asm = new Assembler();
  private readonly retLabels = new Map<number, string>();

  /** The shared label of `ret #value`, emitted at the end of the program. */
  retLabel(value: number): string {
    let l = this.retLabels.get(value >>> 0);
    if (!l) {
      l = `ret_${(value >>> 0).toString(16)}`;
      this.retLabels.set(value >>> 0, l);
    }
    return l;
  }

  emitRets(): void {
    for (const [value, label] of this.retLabels) this.asm.label(label).ret(value);
  }

  /**
   * One integer condition: jump to `t` if it holds, else to `f` (null: fall through).
   * 32-bit arguments are compared on their low half only (all the kernel reads of an
   * int); 16-bit ones on the low half ANDed with 0xffff (all it reads of a umode_t);
   * 64-bit ones on both halves. Signed orderings flip the sign bit of both sides
   * (x ^ 0x80000000 maps signed order onto unsigned order; 0x8000 at 16 bits), of the
   * high half for 64-bit.
   */
  cond(c: IntCondition, tIn: Target, fIn: Target): void {
    // Inside a condition "next instruction" is ambiguous (an `in` list has several
    // jumps): name the place after the condition explicitly.
    const end = this.asm.newLabel('end');
    this.condTo(c, tIn ?? end, fIn ?? end);
    this.asm.label(end);
  }

  private condTo(c: IntCondition, t: string, f: string): void {
    const a = this.asm;
    const name = `${c.argName || `arg${c.arg}`}`;
    const lo = SECCOMP_DATA.argLo(c.arg);
    const hi = SECCOMP_DATA.argHi(c.arg);
    const values = c.values.map((v) => BigInt.asUintN(c.width, v));
    const v0 = values[0] ?? 0n;
    const ordered = c.signed && ['lt', 'le', 'gt', 'ge'].includes(c.op);
    const bias = ordered ? (c.width === 16 ? SIGN_BIT_16 : SIGN_BIT) : 0;
    if (c.width !== 64) {
      const k = Number(v0);
      // Security: the kernel reads a 16-bit argument (umode_t) as the low 16 bits of the
      // register (the SYSCALL_DEFINE wrapper's cast): the bits above must not take part in
      // any comparison, or fchmodat(dfd, path, 0x10000 | 04755) would miss `in: [04755]`.
      // The bit tests (all any none) need no AND: their mask has no bit above 15 (values
      // are reduced to the width above).
      const load = (): void => {
        a.ld(lo, name);
        if (c.width === 16) a.alu(BPF_AND, 0xffff, '16-bit argument');
        if (bias) a.alu(BPF_XOR, bias, 'signed compare');
      };
      const loadBits = (): void => { a.ld(lo, name); };
      switch (c.op) {
        case 'eq': load(); a.jump(BPF_JEQ, k, t, f); return;
        case 'ne': load(); a.jump(BPF_JEQ, k, f, t); return;
        case 'lt': load(); a.jump(BPF_JGE, (k ^ bias) >>> 0, f, t); return;
        case 'le': load(); a.jump(BPF_JGT, (k ^ bias) >>> 0, f, t); return;
        case 'gt': load(); a.jump(BPF_JGT, (k ^ bias) >>> 0, t, f); return;
        case 'ge': load(); a.jump(BPF_JGE, (k ^ bias) >>> 0, t, f); return;
        case 'in':
        case 'not-in': {
          const [yes, no] = c.op === 'in' ? [t, f] : [f, t];
          if (values.length === 0) { a.ja(no); return; }
          load();
          values.forEach((v, i) => a.jump(BPF_JEQ, Number(v), yes, i === values.length - 1 ? no : null));
          return;
        }
        case 'all':
          if (k === 0) { a.ja(t); return; }
          loadBits(); a.alu(BPF_AND, k); a.jump(BPF_JEQ, k, t, f); return;
        case 'any':
          if (k === 0) { a.ja(f); return; }
          loadBits(); a.jump(BPF_JSET, k, t, f); return;
        case 'none':
          if (k === 0) { a.ja(t); return; }
          loadBits(); a.jump(BPF_JSET, k, f, t); return;
      }
    }
    // 64-bit.
    const eq64 = (v: bigint, yes: Target, no: Target): void => {
      const { hi: vh, lo: vl } = halves(v);
      const next = a.newLabel('lo');
      a.ld(hi, name);
      a.jump(BPF_JEQ, vh, next, no);
      a.label(next);
      a.ld(lo, name);
      a.jump(BPF_JEQ, vl, yes, no);
    };
    // A > v (gt, strict) or A >= v (ge) as one 64-bit ordering, signed or not.
    const order = (v: bigint, strict: boolean, yes: Target, no: Target): void => {
      const { hi: vh, lo: vl } = halves(v);
      const k = (vh ^ bias) >>> 0;
      const next = a.newLabel('lo');
      a.ld(hi, name);
      if (bias) a.alu(BPF_XOR, bias, 'signed compare');
      a.jump(BPF_JGT, k, yes, null);
      a.jump(BPF_JEQ, k, next, no);
      a.label(next);
      a.ld(lo, name);
      a.jump(strict ? BPF_JGT : BPF_JGE, vl, yes, no);
    };
    switch (c.op) {
      case 'eq': eq64(v0, t, f); return;
      case 'ne': eq64(v0, f, t); return;
      case 'gt': order(v0, true, t, f); return;
      case 'ge': order(v0, false, t, f); return;
      case 'lt': order(v0, false, f, t); return;
      case 'le': order(v0, true, f, t); return;
      case 'in':
      case 'not-in': {
        const [yes, no] = c.op === 'in' ? [t, f] : [f, t];
        if (values.length === 0) { a.ja(no); return; }
        values.forEach((v, i) => {
          if (i === values.length - 1) { eq64(v, yes, no); return; }
          const nextValue = a.newLabel('in');
          eq64(v, yes, nextValue);
          a.label(nextValue);
        });
        return;
      }
      case 'any':
      case 'none': {
        const [yes, no] = c.op === 'any' ? [t, f] : [f, t];
        const { hi: mh, lo: ml } = halves(v0);
        if (mh) { a.ld(hi, name); a.jump(BPF_JSET, mh, yes, ml ? null : no); }
        if (ml) { a.ld(lo, name); a.jump(BPF_JSET, ml, yes, no); }
        if (!mh && !ml) a.ja(no);
        return;
      }
      case 'all': {
        const { hi: mh, lo: ml } = halves(v0);
        if (mh) { a.ld(hi, name); a.alu(BPF_AND, mh); a.jump(BPF_JEQ, mh, ml ? null : t, f); }
        if (ml) { a.ld(lo, name); a.alu(BPF_AND, ml); a.jump(BPF_JEQ, ml, t, f); }
        if (!mh && !ml) a.ja(t);
        return;
      }
    }
  }

  /** One syscall's rules, in order; ends by jumping to a shared RET. */
  syscall(p: SyscallPlan, label: string): void {
    const a = this.asm;
    a.label(label);
    for (const step of p.steps) {
      if (!step.reachable) break;
      const ruleName = step.rule.name ? `rule ${step.rule.name}` : `rule #${step.rule.index}`;
      for (const alt of step.alts) {
        const ret = this.retLabel(alt.ret);
        if (alt.ints.length === 0) {
          a.ja(ret, `${p.name}: ${ruleName}`);
          return;
        }
        const nextAlt = a.newLabel('alt');
        alt.ints.forEach((c, i) => this.cond(c, i === alt.ints.length - 1 ? ret : null, nextAlt));
        a.label(nextAlt);
      }
    }
    a.ja(this.retLabel(p.fallback.ret), `${p.name}: ${p.fallback.kind}`);
  }
}

/** Targets of the dispatch: a syscall's own block, or directly its constant RET. */
type Leaf = { nr: number; name: string; target: string };

function dispatchLinear(a: Assembler, leaves: Leaf[], otherwise: string): void {
  leaves.forEach((l, i) => a.jump(BPF_JEQ, l.nr, l.target, i === leaves.length - 1 ? otherwise : null, l.name));
  if (leaves.length === 0) a.ja(otherwise);
}

interface Interval { start: number; target: string; names: string[] }

/**
 * The number line cut into intervals of equal target (kafel's range rules): consecutive
 * numbers that go to the same place (an allowlist of neighbouring syscalls, the gaps
 * that get the default) form one interval, so the tree is over intervals, not numbers.
 */
function intervals(leaves: Leaf[], otherwise: string): Interval[] {
  const out: Interval[] = [];
  const push = (start: number, target: string, name?: string): void => {
    const last = out[out.length - 1];
    if (last && last.target === target) {
      if (name) last.names.push(name);
      return;
    }
    out.push({ start, target, names: name ? [name] : [] });
  };
  let next = 0;
  for (const l of leaves) {
    if (l.nr > next) push(next, otherwise);
    push(l.nr, l.target, l.name);
    next = l.nr + 1;
  }
  push(next, otherwise);
  return out;
}

/** A binary search tree of `jge` over the intervals; a leaf jumps to its interval's target. */
function dispatchTree(a: Assembler, iv: Interval[], lo = 0, hi = iv.length - 1): void {
  const first = iv[lo];
  if (!first) throw new Error('unreachable: empty dispatch');
  if (lo === hi) {
    a.ja(first.target, first.names.length ? first.names.join(' ') : undefined);
    return;
  }
  const mid = (lo + hi + 1) >> 1;
  const pivot = iv[mid];
  if (!pivot) throw new Error('unreachable: empty dispatch');
  const right = a.newLabel(`ge_${pivot.start}`);
  a.jump(BPF_JGE, pivot.start, right, null, `nr >= ${pivot.start}${pivot.names[0] ? ` (${pivot.names[0]})` : ''}`);
  dispatchTree(a, iv, lo, mid - 1);
  a.label(right);
  dispatchTree(a, iv, mid, hi);
}

/** Compile a policy to a seccomp-BPF prefilter for `arch` (x86_64 for now). */
export interface CompileBpfOptions {
  /** Run the optimizer (default true). */
  optimize?: boolean;
}

export function compileBpf(ir: PolicyIR, arch: ArchName = 'x86_64', opts: CompileBpfOptions = {}): CompiledBpf {
  if (arch !== 'x86_64') {
    throw new CompileError('SVB004', `the BPF back end compiles for x86_64 only, not ${arch}`);
  }
  const plan = planPolicy(ir, arch);
  const e = new Emitter();
  const a = e.asm;
  const guards = prefilterGuards(arch);
  const guardRet = (id: string): string => {
    const g = guards.find((x) => x.id === id);
    if (!g) throw new Error(`missing guard ${id}`);
    return e.retLabel(kernelRet(g.verdict));
  };
  // Security: the architecture first; nothing else in seccomp_data means anything
  // until it is known (see safety.ts for each guard's reason).
  a.ld(SECCOMP_DATA.arch);
  a.jump(BPF_JEQ, auditArch(arch), null, guardRet('arch'), `AUDIT_ARCH_${arch.toUpperCase()}`);
  a.ld(SECCOMP_DATA.nr);
  // Security: nr -1 is allowed before the x32 test, since -1 has every bit set.
  a.jump(BPF_JEQ, NR_SKIP, guardRet('nr-skip'), null, 'nr -1: never trapped');
  a.jump(BPF_JSET, X32_SYSCALL_BIT, guardRet('x32'), null, 'x32 ABI');

  const defaultRet = plan.default.ret;
  const otherwise = e.retLabel(defaultRet);
  // A syscall whose every outcome is the default's needs no test at all; one whose
  // every outcome is one other RET jumps straight to it.
  const dispatched = plan.syscalls.filter((s) => s.constantRet !== defaultRet);
  const blocks: SyscallPlan[] = [];
  const leaves: Leaf[] = dispatched.map((s) => {
    if (s.constantRet !== undefined) return { nr: s.nr, name: s.name, target: e.retLabel(s.constantRet) };
    blocks.push(s);
    return { nr: s.nr, name: s.name, target: `sys_${s.name}` };
  });
  const tree = leaves.length > LINEAR_DISPATCH_MAX;
  if (tree) dispatchTree(a, intervals(leaves, otherwise));
  else dispatchLinear(a, leaves, otherwise);
  for (const s of blocks) e.syscall(s, `sys_${s.name}`);
  e.emitRets();

  const assembled = a.assemble({ validate: false });
  const optimized = opts.optimize === false ? undefined : optimizeProgram(assembled.program, assembled.comments, { validate: false });
  const program = optimized?.program ?? assembled.program;
  const comments = optimized?.comments ?? assembled.comments;
  if (program.length > BPF_MAXINSNS) {
    throw new CompileError('SVB003', `the compiled program has ${program.length} instructions, more than the kernel's limit of ${BPF_MAXINSNS}`,
      undefined, 'put fewer values in `in` lists or conditions on fewer syscalls');
  }
  // gVisor's Build() self-check: the program the kernel gets passes the kernel's checks.
  validateProgram(program);
  let kernel = 0;
  let supervisor = 0;
  const count = (w: string): void => { if (w === 'kernel') kernel++; else supervisor++; };
  for (const s of plan.syscalls) {
    for (const st of s.steps) if (st.reachable) st.alts.forEach((al) => count(al.where));
    if (s.fallback.reachable) count(s.fallback.where);
  }
  count(plan.default.where);
  const stats: BpfStats = {
    instructions: program.length,
    syscallsDispatched: dispatched.length,
    dispatch: tree ? 'binary-search' : 'linear',
    syscalls: {
      kernel: plan.syscalls.filter((s) => s.decidedBy === 'kernel').length,
      supervisor: plan.syscalls.filter((s) => s.decidedBy === 'supervisor').length,
      mixed: plan.syscalls.filter((s) => s.decidedBy === 'mixed').length,
    },
    decisions: { kernel, supervisor },
    longJumps: assembled.longJumps,
    unoptimizedInstructions: assembled.program.length,
    optimizer: optimized?.passes ?? {},
    unknownSyscalls: plan.unknown,
  };
  return { program, comments, stats, plan };
}

/** The disassembly of a compiled policy with its notes (what `sysvm compile --bpf` prints). */
export function disassembleBpf(compiled: CompiledBpf): string {
  return disassemble(compiled.program, compiled.comments);
}
