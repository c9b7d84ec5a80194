// The optimizer's passes on hand-written programs: literal input, literal output, and
// the same result on every input tried.
import { expect, test } from 'vitest';
import { BPF_ABS, BPF_JA, BPF_JEQ, BPF_JGE, BPF_JMP, BPF_JSET, BPF_LD, BPF_RET, BPF_W, type Insn, optimizeProgram, runBpf } from '../src/bpf/index.js';

const I = (code: number, k = 0, jt = 0, jf = 0): Insn => ({ code, jt, jf, k });
const LD = (k: number): Insn => I(BPF_LD | BPF_W | BPF_ABS, k);
const RET = (k: number): Insn => I(BPF_RET, k);
const RETA = I(BPF_RET | 0x10);
const JA = (k: number): Insn => I(BPF_JMP | BPF_JA, k);
const JEQ = (k: number, jt: number, jf: number): Insn => I(BPF_JMP | BPF_JEQ, k, jt, jf);

const rows: [string, Insn[], Insn[]][] = [
  ['a jump through a ja goes straight to its target; the ja is dead',
    [LD(0), JEQ(1, 0, 1), JA(1), RET(5), RET(7)],
    [LD(0), JEQ(1, 1, 0), RET(5), RET(7)]],
  ['a ja to a ret becomes the ret',
    [LD(0), JEQ(1, 0, 2), LD(4), JA(1), RET(5), RETA],
    [LD(0), JEQ(1, 0, 2), LD(4), RETA, RET(5)]],
  ['a load A already holds is dropped, then the jump whose branches meet is folded',
    [LD(0), JEQ(1, 0, 1), LD(0), JEQ(2, 0, 1), RET(1), RET(2)],
    [LD(0), JEQ(2, 0, 1), RET(1), RET(2)]],
  ['jge #0 is always true; the load before a ret #k is dead',
    [LD(16), I(BPF_JMP | BPF_JGE, 0, 0, 1), RET(1), RET(2)],
    [RET(1)]],
  ['jset #0 is never true',
    [LD(16), I(BPF_JMP | BPF_JSET, 0, 0, 1), RET(1), RETA],
    [LD(16), RETA]],
  ['jumps threaded through ja chains meet, and the test disappears',
    [LD(0), JEQ(1, 0, 2), JA(2), RET(9), JA(0), RETA],
    [LD(0), RETA]],
  ['a load used by ret a is kept', [LD(0), RETA], [LD(0), RETA]],
  ['a load at a join with different contents is kept',
    [LD(0), JEQ(1, 0, 1), LD(4), LD(4), RETA],
    [LD(0), JEQ(1, 0, 1), LD(4), LD(4), RETA]],
];

test.for(rows)('%s', ([, input, output]) => {
  const { program } = optimizeProgram(input);
  expect(program).toEqual(output);
  for (const nr of [0, 1, 2, 3]) {
    for (const arg of [0n, 1n, 0x1_00000000n]) {
      const data = { nr, arch: 5, args: [arg] };
      expect(runBpf(program, data).ret).toBe(runBpf(input, data).ret);
    }
  }
});
