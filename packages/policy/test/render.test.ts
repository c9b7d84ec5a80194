import { describe, expect, test } from 'vitest';
import type { Diagnostic } from '../src/diagnostics.js';
import { renderJson, renderSarif, renderText } from '../src/render.js';

const src = 'sysvm: 1\ndefault: allow\nrules:\n  - syscalls: [opena]\n    action: allow\n';
const d = (over: Partial<Diagnostic> = {}): Diagnostic => ({
  code: 'SV2001',
  severity: 'error',
  message: 'unknown syscall "opena"',
  range: { file: 'p.yaml', line: 4, column: 16, endLine: 4, endColumn: 21 },
  hint: 'did you mean "openat"?',
  ...over,
});

describe('renderers', () => {
  test('text: location, source line, carets under the range, hint, counts', () => {
    expect(renderText([d()], new Map([['p.yaml', src]]))).toBe(
      [
        'p.yaml:4:16: error SV2001: unknown syscall "opena"',
        '  4 |   - syscalls: [opena]',
        '    |                ^^^^^',
        '  hint: did you mean "openat"?',
        '',
        '1 error, 0 warnings, 0 info',
        '',
      ].join('\n'),
    );
  });

  test('text: sorted by file, line, column; without source no excerpt', () => {
    const w = d({ severity: 'warning', code: 'SV3001', message: 'w', hint: undefined,
      range: { file: 'p.yaml', line: 2, column: 1, endLine: 2, endColumn: 8 } });
    const out = renderText([d(), w], new Map());
    expect(out.split('\n')[0]).toBe('p.yaml:2:1: warning SV3001: w');
    expect(out).toContain('1 error, 1 warning, 0 info');
  });

  test('json keeps 1-based ranges', () => {
    expect(JSON.parse(renderJson([d()]))[0].range).toEqual({ file: 'p.yaml', line: 4, column: 16, endLine: 4, endColumn: 21 });
  });

  test('sarif 2.1.0 with rule metadata and a region', () => {
    const s = JSON.parse(renderSarif([d()], [{ code: 'SV2001', title: 'Unknown syscall' }], '0.1.0'));
    expect(s.version).toBe('2.1.0');
    expect(s.runs[0].tool.driver.rules).toEqual([{ id: 'SV2001', shortDescription: { text: 'Unknown syscall' } }]);
    expect(s.runs[0].results[0]).toMatchObject({
      ruleId: 'SV2001', ruleIndex: 0, level: 'error',
      locations: [{ physicalLocation: { artifactLocation: { uri: 'p.yaml' }, region: { startLine: 4, startColumn: 16, endLine: 4, endColumn: 21 } } }],
    });
  });
});
