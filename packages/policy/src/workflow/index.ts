// The policy workflow: calls written as text, policy test files, why a call is decided as it
// is, OCI seccomp profiles in and out.
export * from './codes.js';
export * from './invocation.js';
export * from './decide.js';
export * from './testfile.js';
export * from './why.js';
export * from './oci.js';
