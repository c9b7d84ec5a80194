// @sysvm/policy/compile: the seccomp-BPF compiler and toolkit, without the front end (see
// evaluate-entry.ts). The tracer thread loads it only when it has to compile a prefilter
// itself (sysvm run hands it one from its cache).
export * as bpf from './bpf/index.js';
export { compileBpf, type BpfStats, type CompiledBpf } from './compile/bpf.js';
