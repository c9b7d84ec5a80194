// sysvm test FILE... : policy unit tests (docs/policy-tests.md).
import type { Command } from '../command.js';

export const test: Command = {
  name: 'test',
  summary: 'run policy unit tests: calls written as text and the verdict each must get',
  usage: 'sysvm test [--format text|json] FILE|DIR...',
  description: [
    'Each FILE is a YAML test file (docs/policy-tests.md), a DIR stands for its *.test.yaml files.',
    'A test file names the policy it tests, the process',
    'context (cwd, home, open directory fds), and cases such as',
    "  - call: 'openat(AT_FDCWD, \"/etc/shadow\", O_RDONLY)'",
    '    expect: { deny: EACCES }',
    'Every case is decided by evaluate (the supervisor) and by the compiled seccomp-BPF prefilter',
    'in an interpreter (the kernel); where the kernel decides, both must give the expected verdict.',
    'evaluate decides with the policy as `sysvm run` judges it: a deny rule\'s paths hold under',
    'their host names too (symlinks resolved on this machine), and /proc/self is the caller\'s, a',
    'process of its own (pid 4194304; docs/cli.md).',
    'Exit status: 0 every case passed, 1 a case failed, 2 a test file or its policy has errors',
    '(they are printed like lint diagnostics) or a usage error.',
  ].join('\n'),
  options: {
    format: { type: 'string', short: 'f', value: 'FORMAT', help: 'text or json', default: 'text' },
  },
  examples: [
    ['sysvm test examples/tests', 'run the tests of the example policies'],
    ['sysvm test --format json examples/tests/no-network.test.yaml', 'the results as JSON, for CI'],
  ],
  run: async (ctx) => (await import('./impl/test.js')).test(ctx),
};
