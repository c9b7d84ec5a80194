// sysvm completion bash|zsh: a completion script made from the command table, so that it
// never lists an option the commands do not have.
import type { Command } from '../command.js';

/** The completion command needs the command table, which includes it: built by a function. */
export function completionCommand(all: () => readonly Command[]): Command {
  return {
    name: 'completion',
    summary: 'print a shell completion script (bash or zsh)',
    usage: 'sysvm completion bash|zsh',
    description: [
      'Completes the commands, each command\'s options, the values of --format and --backend,',
      'file names, and builtin:NAME policies.',
    ].join('\n'),
    options: {},
    examples: [
      ['source <(sysvm completion bash)', 'completion in this bash session'],
      ['sysvm completion bash > ~/.local/share/bash-completion/completions/sysvm', 'for every bash session'],
      ['sysvm completion zsh > "${fpath[1]}/_sysvm"', 'for zsh (then start a new shell)'],
    ],
    run: async (ctx) => (await import('./impl/completion.js')).completion(ctx, all()),
  };
}
