#!/usr/bin/env node
// pnpm bench: sysvm's backends side by side with strace on the same workloads, in one
// run, as medians of several runs and ratios to the native run.
//
//   node bench/run.mjs [--runs N] [--only NAME] [--write docs/performance.md]
//
// Workloads (issue 3):
//   find   `find /usr -name '*.h'`: every open and stat checked by a path rule
//   tar    `tar -cf FILE <tree>` of a source tree (/usr/include/linux)
//   make   compiling a small generated C project with make
//   start  `true`: the fixed cost of starting each peer (sysvm: Node, the runtime, the policy)
// Peers: native; sysvm --backend seccomp; sysvm --backend ptrace; `strace -f`; and
// `strace -f --seccomp-bpf -e trace=<the syscalls the policy sends to the supervisor>`; and
// bench/peers/minisup.c, a supervisor in C that stops the same calls and makes the same
// system calls per stop as sysvm but decides nothing: the cost of the mechanism alone, by
// ptrace (seccomp RET_TRACE, as sysvm's seccomp backend) and by seccomp user notification.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir, cpus, release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SYSVM = join(ROOT, 'packages/cli/dist/sysvm.cjs'); // the `sysvm` bin
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const RUNS = Number(opt('runs', '5'));
const ONLY = opt('only', null);
const WRITE = opt('write', null);

function which(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).stdout.trim() || null;
}

// A small C project: 12 translation units and a Makefile.
function makeProject() {
  const dir = mkdtempSync(join(tmpdir(), 'sysvm-bench-make-'));
  const objs = [];
  for (let i = 0; i < 12; i++) {
    writeFileSync(join(dir, `u${i}.c`), `#include <stdio.h>\n#include <string.h>\n#include <stdlib.h>\nint f${i}(int x) { char b[64]; snprintf(b, sizeof b, "%d", x * ${i + 1}); return (int)strlen(b) + atoi(b); }\n`);
    objs.push(`u${i}.o`);
  }
  writeFileSync(join(dir, 'main.c'), `${objs.map((_, i) => `int f${i}(int);`).join('\n')}\nint main(void) { int s = 0; ${objs.map((_, i) => `s += f${i}(${i});`).join(' ')} return s == 0; }\n`);
  writeFileSync(join(dir, 'Makefile'), `CC ?= cc\nprog: main.o ${objs.join(' ')}\n\t$(CC) -o $@ $^\n%.o: %.c\n\t$(CC) -O1 -c -o $@ $<\nclean:\n\trm -f *.o prog\n`);
  return dir;
}

const tree = existsSync('/usr/include/linux') ? '/usr/include/linux' : '/usr/include';
const project = makeProject();

// The policy every sysvm run uses: pass everything, but check the path of every open
// and stat (so those calls stop, as they would under a real filesystem policy).
const POLICY_SYSCALLS = ['open', 'openat', 'newfstatat', 'stat', 'lstat', 'statx', 'access', 'faccessat2'];
const policyDir = mkdtempSync(join(tmpdir(), 'sysvm-bench-policy-'));
const policy = join(policyDir, 'paths.yaml');
writeFileSync(policy, `sysvm: 1
name: bench-paths
default: allow
rules:
  - name: no-secrets
    syscalls: [${POLICY_SYSCALLS.join(', ')}]
    match: { path: { under: ["\${home}/.ssh", /etc/shadow] } }
    action: { deny: EACCES }
`);

const WORKLOADS = [
  { name: 'find', cmd: ['find', '/usr', '-name', '*.h'], prep: null },
  // Into a file: GNU tar reads nothing when the archive is /dev/null (it checks).
  { name: 'tar', cmd: ['tar', '-cf', join(project, 'out.tar'), tree], prep: () => rmSync(join(project, 'out.tar'), { force: true }) },
  { name: 'make', cmd: ['make', '-s', '-C', project, 'prog'], prep: () => execFileSync('make', ['-s', '-C', project, 'clean']) },
  // Not a target of issue 3: shows how much of each row above is start-up.
  { name: 'start', cmd: ['true'], prep: null },
];

const strace = which('strace');
// strace again, on one CPU (taskset -c 0): sysvm places the sandbox on its supervisor's CPU
// while it stops often (--affinity auto, docs/performance.md#cpu-placement); these rows show
// what strace gains from the same placement, so that the mechanisms compare on equal terms.
const taskset = cpus().length > 1 ? which('taskset') : null;
const STRACE = strace ? [
  { name: 'strace -f', argv: [strace, '-f', '-qq', '-o', '/dev/null'] },
  { name: 'strace --seccomp-bpf', argv: [strace, '-f', '-qq', '--seccomp-bpf', '-e', `trace=${POLICY_SYSCALLS.join(',')}`, '-o', '/dev/null'] },
] : [];
// The C peers, compiled here (`cc`, as the tests compile theirs); left out without a compiler.
function buildMinisup() {
  const cc = which('cc');
  if (!cc) return null;
  const out = join(mkdtempSync(join(tmpdir(), 'sysvm-bench-minisup-')), 'minisup');
  const r = spawnSync(cc, ['-O2', '-o', out, join(ROOT, 'bench/peers/minisup.c')], { encoding: 'utf8' });
  if (r.status !== 0) {
    process.stderr.write(`bench: minisup.c did not compile, its peers are left out:\n${r.stderr}`);
    return null;
  }
  return out;
}
const minisup = buildMinisup();
// The ptrace one on one CPU, as sysvm places itself; user notification without placement:
// its wake-ups are synchronous (SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP), the supervisor runs on
// the caller's CPU.
// A mechanism this kernel lacks (user notification: Linux 5.0) leaves its peer out.
const MINISUP = (minisup ? [
  { name: 'C ptrace, 1 CPU', wrap: (c) => [...(taskset ? [taskset, '-c', '0'] : []), minisup, 'ptrace', '--', ...c] },
  { name: 'C user-notif', wrap: (c) => [minisup, 'unotify', '--', ...c] },
] : []).filter((p) => {
  const [cmd, ...argv] = p.wrap(['true']);
  const r = spawnSync(cmd, argv, { encoding: 'utf8' });
  if (r.status !== 0) process.stderr.write(`bench: ${p.name} does not run here, left out: ${r.stderr}`);
  return r.status === 0;
});
const sysvm = (backend) => [process.execPath, SYSVM, 'run', '--quiet', '--backend', backend, '-p', policy, '--'];
const PEERS = [
  { name: 'native', wrap: (c) => c },
  { name: 'sysvm seccomp', wrap: (c) => [...sysvm('seccomp'), ...c] },
  { name: 'sysvm ptrace', wrap: (c) => [...sysvm('ptrace'), ...c] },
  ...STRACE.map((s) => ({ name: s.name, wrap: (c) => [...s.argv, ...c] })),
  ...(taskset ? STRACE.map((s) => ({ name: `${s.name}, 1 CPU`, wrap: (c) => [taskset, '-c', '0', ...s.argv, ...c] })) : []),
  ...MINISUP,
];

// Every peer runs in this environment less NODE_EXTRA_CA_CERTS: Node reads that file before
// any JavaScript runs (70 ms here, where the variable is set for the tools); sysvm needs no
// certificates, the other peers never read it, and an ordinary machine does not set it.
const ENV = { ...process.env };
delete ENV.NODE_EXTRA_CA_CERTS;

function timeOnce(argv) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26, env: ENV });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status ?? r.signal}: ${String(r.stderr).slice(0, 400)}`);
  return ms;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const results = [];
for (const w of WORKLOADS) {
  if (ONLY && w.name !== ONLY) continue;
  // one warm-up of each peer (page cache, dentry cache), then RUNS rounds, peers interleaved
  const times = new Map(PEERS.map((p) => [p.name, []]));
  for (let round = -1; round < RUNS; round++) {
    for (const p of PEERS) {
      w.prep?.();
      const ms = timeOnce(p.wrap(w.cmd));
      if (round >= 0) times.get(p.name).push(ms);
    }
  }
  const native = median(times.get('native'));
  for (const p of PEERS) {
    const m = median(times.get(p.name));
    results.push({ workload: w.name, peer: p.name, ms: m, ratio: m / native });
    process.stderr.write(`${w.name.padEnd(5)} ${p.name.padEnd(28)} ${m.toFixed(1).padStart(9)} ms  ${(m / native).toFixed(2)}x\n`);
  }
}

const peers = PEERS.map((p) => p.name);
const workloads = [...new Set(results.map((r) => r.workload))];
const cell = (w, p) => {
  const r = results.find((x) => x.workload === w && x.peer === p);
  return r ? `${r.ratio.toFixed(2)}× (${r.ms.toFixed(0)} ms)` : '–';
};
const table = [
  `| workload | ${peers.join(' | ')} |`,
  `|---|${peers.map(() => '---').join('|')}|`,
  ...workloads.map((w) => `| ${w} | ${peers.map((p) => cell(w, p)).join(' | ')} |`),
].join('\n');
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Linux ${release()}, Node ${process.version}`;
process.stdout.write(`\nMedians of ${RUNS} runs, as ratios to native (${machine}):\n\n${table}\n`);

if (WRITE) {
  const path = join(ROOT, WRITE);
  const old = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const begin = '<!-- bench:begin -->';
  const end = '<!-- bench:end -->';
  const block = `${begin}\nMeasured ${new Date().toISOString().slice(0, 10)} with \`pnpm bench --write ${WRITE}\`, medians of ${RUNS} runs (${machine}):\n\n${table}\n${end}`;
  const next = old.includes(begin) ? old.replace(new RegExp(`${begin}[\\s\\S]*${end}`), block) : `${old}\n${block}\n`;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, next);
  process.stderr.write(`wrote ${WRITE}\n`);
}
rmSync(project, { recursive: true, force: true });
rmSync(policyDir, { recursive: true, force: true });
if (minisup) rmSync(dirname(minisup), { recursive: true, force: true });
