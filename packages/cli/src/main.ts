#!/usr/bin/env node
// `node dist/main.js`, as the executable was before it became dist/sysvm.cjs (package.json's
// `bin`): runs it. Scripts and docs that name this file keep working; the CommonJS entry
// itself starts sooner (sysvm.cts).
import './sysvm.cjs';
