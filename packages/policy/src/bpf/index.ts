export * from './isa.js';
export * from './seccomp.js';
export * from './validate.js';
export * from './interp.js';
export * from './asm.js';
export * from './disasm.js';
export * from './sockfilter.js';
export * from './optimize.js';
