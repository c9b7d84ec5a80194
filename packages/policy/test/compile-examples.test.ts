// Golden files for the examples and the built-in policies, through the real front end:
// YAML -> PolicyIR (front/load.ts) -> BPF disassembly and explain. A fixed context
// (cwd, home, tmp, tty, env) keeps the expanded paths stable.
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { loadPolicy } from '../src/front/load.js';
import { compileBpf, disassembleBpf } from '../src/compile/bpf.js';
import { explainPolicy } from '../src/compile/explain.js';
import { runBpf } from '../src/bpf/interp.js';
import { checkProgram } from '../src/bpf/validate.js';
import { auditArch } from '../src/compile/safety.js';
import { decider, evaluate, prefilterRet, seccompRetForDecision } from '../src/evaluate.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const context = { cwd: '/work/project', home: '/home/user', tmp: '/tmp/sysvm', tty: ['/dev/pts/3'], env: {} };
const sources = [
  ...readdirSync(`${root}examples`).filter((f) => f.endsWith('.yaml')).sort().map((f) => [f.replace(/\.yaml$/, ''), `${root}examples/${f}`]),
  ['builtin-default', 'builtin:default'],
  ['builtin-audit', 'builtin:audit'],
  ['builtin-permissive', 'builtin:permissive'],
];

describe.for(sources)('%s', ([name, file]) => {
  const r = loadPolicy(file ?? '', { context });
  const ir = r.ir;
  test('loads and compiles to a program the kernel accepts', () => {
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(ir).toBeDefined();
    if (ir) expect(checkProgram(compileBpf(ir).program)).toEqual([]);
  });
  test('BPF disassembly', async () => {
    if (!ir) throw new Error('no IR');
    // Golden files name files relative to the repository.
    const text = disassembleBpf(compileBpf(ir));
    await expect(text).toMatchFileSnapshot(`golden/examples/${name}.bpf.txt`);
  });
  test('explain', async () => {
    if (!ir) throw new Error('no IR');
    const text = explainPolicy(ir).split(root).join('');
    await expect(text).toMatchFileSnapshot(`golden/examples/${name}.explain.txt`);
  });
  test('the prefilter returns what prefilterRet states, for every number 0..599 and beyond', () => {
    if (!ir) throw new Error('no IR');
    const program = compileBpf(ir).program;
    const numbers = [...Array.from({ length: 600 }, (_, i) => i), 0x3fffffff, 0x80000000, 0xfffffffe];
    for (const nr of numbers) {
      const inv = { arch: 'x86_64' as const, nr, args: [0n, 0n, 0n, 0n, 0n, 0n] };
      const ret = runBpf(program, { nr, arch: auditArch('x86_64'), args: inv.args }, { checked: true }).ret;
      expect(ret).toBe(prefilterRet(ir, inv));
      // A kernel decision is the one evaluate makes (paths unreadable here).
      if ((ret >>> 16) !== 0x7ff0) expect(seccompRetForDecision(evaluate(ir, inv))).toBe(ret);
    }
  });
  test('the supervisor\'s decider decides as evaluate, for every number 0..1023 and beyond', () => {
    if (!ir) throw new Error('no IR');
    const decide = decider(ir, { native: 'x86_64' });
    const numbers = [...Array.from({ length: 1024 }, (_, i) => i), -1, 1024, 0x40000000 | 2, 0xfffffffe];
    // Argument vectors and paths that reach the policies' conditions both ways.
    const argSets = [[0n, 0n, 0n, 0n, 0n, 0n], [~0n & 0xffffffffffffffffn, 1n, 0o644n, 0x241n, 2n, 0x10n], [3n, 0x7fffn, 0o4755n, 0x100n, 0x1000n, 1n]];
    const pathSets: (string | undefined)[][] = [
      [undefined, undefined, undefined, undefined],
      ['/etc/shadow', '/home/user/.ssh/id_rsa', '/tmp/sysvm/x', '/work/project/a.c'],
      ['/work/project/src/main.c', '/usr/lib/x86_64-linux-gnu/libc.so.6', 'pipe:[7]', '/proc/self/fd/1'],
    ];
    for (const nr of numbers) {
      for (const args of argSets) {
        for (const paths of pathSets) {
          // (`missing`: the sources under /work/project name nothing, for the rules with `missing:`)
          const inv = { arch: 'x86_64' as const, nr, args, deref: { path: (a: number) => paths[a], missing: (a: number) => paths[a]?.endsWith('.c') ?? false } };
          expect(decide(inv)).toStrictEqual(evaluate(ir, inv, { native: 'x86_64' }));
        }
      }
    }
    const other = { arch: 'i386' as const, nr: 5, args: [0n, 0n, 0n, 0n, 0n, 0n] };
    expect(decide(other)).toStrictEqual(evaluate(ir, other, { native: 'x86_64' }));
  });
});
