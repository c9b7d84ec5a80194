// The examples of docs/cli.md and docs/policy-tests.md do what the docs say: every
// `$ sysvm ...` block of cli.md prints what the doc shows (run with the BUILT cli), and the
// test file of policy-tests.md passes as if it stood in examples/tests/.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { workflow } from '@sysvm/policy';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** Shell words of a doc command line: plain words and '...' quoted ones (what the docs use). */
function words(line: string): string[] {
  const out: string[] = [];
  const re = /'([^']*)'|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) out.push(m[1] ?? m[2]!);
  return out;
}

/** Each ```-block of cli.md that starts with `$ sysvm`: the command and the output shown. */
function transcripts(): [string, string][] {
  const doc = readFileSync(`${root}docs/cli.md`, 'utf8');
  const out: [string, string][] = [];
  for (const block of doc.split('```').filter((_, i) => i % 2 === 1)) {
    const lines = block.replace(/^\n/, '').split('\n');
    if (!lines[0]?.startsWith('$ sysvm')) continue;
    let cmd = lines.shift()!.slice(2);
    while (cmd.endsWith('\\')) cmd = `${cmd.slice(0, -1).trimEnd()} ${lines.shift()!.trim()}`;
    out.push([cmd.replace(/\s+#.*$/, ''), lines.join('\n')]);
  }
  return out;
}

describe('docs/cli.md transcripts', () => {
  test('there are some', () => expect(transcripts().length).toBeGreaterThanOrEqual(2));
  test.for(transcripts())('%s', ([cmd, shown]) => {
    const r = spawnSync(process.execPath, [join(root, 'packages/cli/dist/main.js'), ...words(cmd).slice(1)],
      { cwd: root, encoding: 'utf8' });
    expect(r.stdout).toBe(shown);
  });
});

describe('docs/policy-tests.md', () => {
  test('its test file passes next to the examples', () => {
    const doc = readFileSync(`${root}docs/policy-tests.md`, 'utf8');
    const yaml = /```yaml\n([\s\S]*?)```/.exec(doc)![1]!;
    const file = `${root}examples/tests/doc-example.test.yaml`;
    const r = workflow.runTestFile(file, { readFile: (p) => (p === file ? yaml : readFileSync(p, 'utf8')) });
    expect(r.diagnostics).toEqual([]);
    expect(r.cases.map((c) => [c.call, c.passed])).toEqual([
      ['socket(AF_INET, SOCK_STREAM, 0)', true], ['socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0)', true]]);
  });
});
