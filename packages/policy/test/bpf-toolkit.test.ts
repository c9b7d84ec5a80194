// The classic BPF toolkit on hand-assembled programs: the interpreter, the validator
// (what the kernel would refuse), the assembler's labels and long jumps, the
// disassembler and the sock_filter serialisation.
import { describe, expect, test } from 'vitest';
import {
  Assembler, AsmError, BPF_ADD, BPF_ALU, BPF_AND, BPF_DIV, BPF_H, BPF_JA, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JMP, BPF_JSET,
  BPF_LD, BPF_LDX, BPF_LEN, BPF_LSH, BPF_MOD, BPF_MUL, BPF_NEG, BPF_OR, BPF_RET, BPF_RSH, BPF_SUB, BPF_W, BPF_X, BPF_XOR,
  BPF_ABS, BpfValidationError, checkProgram, disassemble, fromSockFilter, packSeccompData, runBpf, toSockFilter,
  type Insn, type SeccompData,
} from '../src/bpf/index.js';

const I = (code: number, k = 0, jt = 0, jf = 0): Insn => ({ code, jt, jf, k: k >>> 0 });
const LD = (k: number): Insn => I(BPF_LD | BPF_W | BPF_ABS, k);
const LDI = (k: number): Insn => I(BPF_LD, k);
const RETA = I(BPF_RET | 0x10);
const RET = (k: number): Insn => I(BPF_RET, k);
const ALU = (op: number, k: number): Insn => I(BPF_ALU | op, k);

const data: SeccompData = {
  nr: 257,
  arch: 0xc000003e,
  instructionPointer: 0x7fff_1234_5678n,
  args: [0x11111111_22222222n, 0xffffffff_fffffff0n, 3n, 4n, 5n, 0x80000000_00000006n],
};

describe('interpreter', () => {
  const rows: [string, Insn[], number][] = [
    ['nr', [LD(0), RETA], 257],
    ['arch', [LD(4), RETA], 0xc000003e],
    ['instruction pointer low half', [LD(8), RETA], 0x12345678],
    ['instruction pointer high half', [LD(12), RETA], 0x7fff],
    ['args[0] low half', [LD(16), RETA], 0x22222222],
    ['args[0] high half', [LD(20), RETA], 0x11111111],
    ['args[1] low half (of -16)', [LD(24), RETA], 0xfffffff0],
    ['args[5] high half', [LD(60), RETA], 0x80000000],
    ['ld #len', [I(BPF_LD | BPF_W | BPF_LEN), RETA], 64],
    ['ld imm', [LDI(0xdeadbeef), RETA], 0xdeadbeef],
    ['add wraps at 32 bits', [LDI(0xffffffff), ALU(BPF_ADD, 2), RETA], 1],
    ['sub wraps', [LDI(1), ALU(BPF_SUB, 2), RETA], 0xffffffff],
    ['mul wraps', [LDI(0x10000), ALU(BPF_MUL, 0x10000), RETA], 0],
    ['div', [LDI(100), ALU(BPF_DIV, 7), RETA], 14],
    ['and', [LDI(0xff00ff), ALU(BPF_AND, 0x0ff0f0), RETA], 0x0f00f0],
    ['or', [LDI(0xf0), ALU(BPF_OR, 0x0f), RETA], 0xff],
    ['xor (the sign-bias trick)', [LDI(0xfffffffb), ALU(BPF_XOR, 0x80000000), RETA], 0x7ffffffb],
    ['lsh', [LDI(0x80000001), ALU(BPF_LSH, 1), RETA], 2],
    ['rsh', [LDI(0x80000000), ALU(BPF_RSH, 31), RETA], 1],
    ['neg', [LDI(1), I(BPF_ALU | BPF_NEG), RETA], 0xffffffff],
    ['tax/txa and X operands', [LDI(6), I(0x07), LDI(7), I(BPF_ALU | BPF_MUL | BPF_X), RETA], 42],
    ['st/ld M[]', [LDI(9), I(0x02, 3), LDI(0), I(BPF_LD | 0x60, 3), RETA], 9],
    ['ldx imm, stx, ldx M[], txa', [I(BPF_LDX, 5), I(0x03, 15), I(BPF_LDX, 0), I(BPF_LDX | 0x60, 15), I(0x87), RETA], 5],
    ['div by X == 0 returns 0', [I(BPF_LDX, 0), LDI(5), I(BPF_ALU | BPF_DIV | BPF_X), RET(7)], 0],
    ['jeq taken', [LD(0), I(BPF_JMP | BPF_JEQ, 257, 0, 1), RET(1), RET(2)], 1],
    ['jeq not taken', [LD(0), I(BPF_JMP | BPF_JEQ, 258, 0, 1), RET(1), RET(2)], 2],
    ['jgt is strict', [LD(0), I(BPF_JMP | BPF_JGT, 257, 0, 1), RET(1), RET(2)], 2],
    ['jge is not', [LD(0), I(BPF_JMP | BPF_JGE, 257, 0, 1), RET(1), RET(2)], 1],
    ['jgt is unsigned', [LD(24), I(BPF_JMP | BPF_JGT, 5, 0, 1), RET(1), RET(2)], 1],
    ['jset', [LD(0), I(BPF_JMP | BPF_JSET, 0x100, 0, 1), RET(1), RET(2)], 1],
    ['jset with no common bit', [LD(0), I(BPF_JMP | BPF_JSET, 0x2, 0, 1), RET(1), RET(2)], 2],
    ['ja skips', [I(BPF_JMP | BPF_JA, 1), RET(1), RET(2)], 2],
    ['jt/jf offsets > 0', [LD(0), I(BPF_JMP | BPF_JEQ, 257, 2, 0), RET(1), RET(2), RET(3)], 3],
  ];
  test.for(rows)('%s', ([, prog, ret]) => {
    expect(runBpf(prog, data).ret).toBe(ret);
  });

  test('runs on the packed bytes too; the layout is little-endian', () => {
    const bytes = packSeccompData(data);
    expect([...bytes.slice(0, 8)]).toEqual([0x01, 0x01, 0, 0, 0x3e, 0, 0, 0xc0]);
    expect([...bytes.slice(16, 24)]).toEqual([0x22, 0x22, 0x22, 0x22, 0x11, 0x11, 0x11, 0x11]);
    expect(runBpf([LD(20), RETA], bytes).ret).toBe(0x11111111);
  });

  test('nr -1 is 0xffffffff to the filter', () => {
    expect(runBpf([LD(0), RETA], { nr: -1, arch: 0, args: [] }).ret).toBe(0xffffffff);
  });

  test('refuses an invalid program', () => {
    expect(() => runBpf([LD(0)], data)).toThrow(BpfValidationError);
  });
});

describe('validator', () => {
  const bad: [string, Insn[], RegExp][] = [
    ['empty', [], /empty/],
    ['no RET at the end', [LD(0)], /last instruction is not a RET/],
    ['a conditional jump past the end', [LD(0), I(BPF_JMP | BPF_JEQ, 0, 5, 0), RET(0)], /past the end/],
    ['a ja past the end', [I(BPF_JMP | BPF_JA, 1), RET(0)], /past the end/],
    ['an unaligned load', [LD(3), RET(0)], /aligned/],
    ['a load past seccomp_data', [LD(64), RET(0)], /below 64/],
    ['a half-word load (not for seccomp)', [I(BPF_LD | BPF_H | BPF_ABS, 0), RET(0)], /not allowed/],
    ['ret x (not for seccomp)', [I(BPF_RET | 0x08), RET(0)], /not allowed/],
    ['mod (not for seccomp)', [LDI(1), ALU(BPF_MOD, 3), RET(0)], /not allowed/],
    ['division by constant zero', [LDI(1), ALU(BPF_DIV, 0), RET(0)], /division by constant zero/],
    ['shift by 32', [LDI(1), ALU(BPF_LSH, 32), RET(0)], /shift/],
    ['M[] read before written', [I(BPF_LD | 0x60, 2), RET(0)], /M\[2\] read before/],
    ['M[] written on one path only', [LD(0), I(BPF_JMP | BPF_JEQ, 1, 0, 1), I(0x02, 2), I(BPF_LD | 0x60, 2), RETA], /M\[2\] read before/],
    ['scratch index 16', [I(0x02, 16), RET(0)], /scratch memory index/],
    ['a jt that does not fit 8 bits', [I(BPF_JMP | BPF_JEQ, 0, 256, 0), RET(0)], /field out of range/],
    ['4097 instructions', Array.from({ length: 4097 }, () => RET(0)), /BPF_MAXINSNS/],
  ];
  test.for(bad)('rejects %s', ([, prog, message]) => {
    const problems = checkProgram(prog);
    expect(problems.map((p) => p.message).join('\n')).toMatch(message);
  });

  const good: [string, Insn[]][] = [
    ['one RET', [RET(0x7fff0000)]],
    ['4096 instructions', Array.from({ length: 4096 }, () => RET(0))],
    ['M[] written on every path', [LD(0), I(BPF_JMP | BPF_JEQ, 1, 0, 2), I(0x02, 2), I(BPF_JMP | BPF_JA, 1), I(0x02, 2), I(BPF_LD | 0x60, 2), RETA]],
    ['a jump to the last instruction', [LD(0), I(BPF_JMP | BPF_JEQ, 1, 1, 1), RET(1), RET(2)]],
  ];
  test.for(good)('accepts %s', ([, prog]) => {
    expect(checkProgram(prog)).toEqual([]);
  });
});

describe('assembler', () => {
  test('labels resolve to forward offsets', () => {
    const a = new Assembler();
    a.ld(0).jump(BPF_JEQ, 39, 'yes', null).jump(BPF_JEQ, 40, 'yes', 'no').label('yes').ret(1).label('no').ret(2);
    const { program } = a.assemble();
    expect(program).toEqual([LD(0), I(BPF_JMP | BPF_JEQ, 39, 1, 0), I(BPF_JMP | BPF_JEQ, 40, 0, 1), RET(1), RET(2)]);
  });

  test('a ja to the next instruction is dropped', () => {
    const a = new Assembler();
    a.ld(0).ja('x').label('x').ret(1);
    expect(a.assemble().program).toEqual([LD(0), RET(1)]);
  });

  test('conditional jumps longer than 255 go through a ja trampoline', () => {
    const a = new Assembler();
    a.ld(0).jump(BPF_JEQ, 1, 'far', 'near');
    a.label('near');
    for (let i = 0; i < 300; i++) a.ret(1000 + i);
    a.label('far').ret(7);
    const { program, longJumps } = a.assemble();
    expect(longJumps).toBe(1);
    expect(program[1]).toEqual(I(BPF_JMP | BPF_JEQ, 1, 0, 1));
    expect(program[2]).toEqual(I(BPF_JMP | BPF_JA, 300));
    expect(runBpf(program, { nr: 1, arch: 0, args: [] }).ret).toBe(7);
    expect(runBpf(program, { nr: 2, arch: 0, args: [] }).ret).toBe(1000);
  });

  test('both branches far', () => {
    const a = new Assembler();
    a.ld(0).jump(BPF_JSET, 1, 'odd', 'even');
    for (let i = 0; i < 260; i++) a.ret(5);
    a.label('odd').ret(1);
    for (let i = 0; i < 260; i++) a.ret(6);
    a.label('even').ret(2);
    const { program, longJumps } = a.assemble();
    expect(longJumps).toBe(2);
    expect(runBpf(program, { nr: 3, arch: 0, args: [] }).ret).toBe(1);
    expect(runBpf(program, { nr: 4, arch: 0, args: [] }).ret).toBe(2);
  });

  const errors: [string, (a: Assembler) => void, RegExp][] = [
    ['an undefined label', (a) => a.ld(0).jump(BPF_JEQ, 1, 'nowhere', null).ret(0), /undefined label nowhere/],
    ['a backward jump', (a) => a.label('top').ld(0).jump(BPF_JGE, 1, 'top', null).ret(0), /backward jump/],
    ['a program that falls off the end', (a) => a.ld(0), /not a RET/],
  ];
  test.for(errors)('refuses %s', ([, build, message]) => {
    const a = new Assembler();
    build(a);
    expect(() => a.assemble()).toThrow(message);
  });

  test('refuses a label defined twice', () => {
    const a = new Assembler();
    a.label('x');
    expect(() => a.label('x')).toThrow(AsmError);
  });
});

describe('disassembler and sock_filter', () => {
  test('one line per instruction, with fields and actions named', () => {
    const prog = [LD(4), I(BPF_JMP | BPF_JEQ, 0xc000003e, 1, 0), RET(0x50026), LD(20), I(BPF_JMP | BPF_JGT, 5, 0, 1), RET(0x7ff00002), RET(0x7fff0000)];
    expect(disassemble(prog, [undefined, 'AUDIT_ARCH_X86_64'])).toBe(
      '   0: ld [4]                             ; arch\n' +
      '   1: jeq #0xc000003e, 3, 2              ; AUDIT_ARCH_X86_64\n' +
      '   2: ret #0x50026                       ; ERRNO(38)\n' +
      '   3: ld [20]                            ; args[0].hi\n' +
      '   4: jgt #0x5, 5, 6\n' +
      '   5: ret #0x7ff00002                    ; TRACE(2)\n' +
      '   6: ret #0x7fff0000                    ; ALLOW\n',
    );
  });

  test('sock_filter: 8 bytes per instruction, little-endian', () => {
    const prog = [I(BPF_JMP | BPF_JEQ, 0xc000003e, 1, 2), RET(0x7fff0000)];
    const bytes = toSockFilter(prog);
    expect([...bytes]).toEqual([0x15, 0x00, 0x01, 0x02, 0x3e, 0x00, 0x00, 0xc0, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x7f]);
    expect(fromSockFilter(bytes)).toEqual(prog);
    expect(() => fromSockFilter(new Uint8Array(7))).toThrow(/whole number/);
  });

  test('the opcodes are the kernel\'s', () => {
    // include/uapi/linux/filter.h: BPF_STMT(BPF_LD|BPF_W|BPF_ABS, ...) is 0x20,
    // BPF_JUMP(BPF_JMP|BPF_JEQ|BPF_K, ...) 0x15, BPF_RET|BPF_K 0x06.
    expect(BPF_LD | BPF_W | BPF_ABS).toBe(0x20);
    expect(BPF_JMP | BPF_JEQ).toBe(0x15);
    expect(BPF_RET).toBe(0x06);
    expect(BPF_LDX | BPF_W | BPF_LEN).toBe(0x81);
  });
});
