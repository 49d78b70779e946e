import { describe, expect, it } from 'vitest';
import { longFunctions, sourceFiles } from './source-files.ts';

const LIMIT = 60;

/**
 * Where a long function is a table, not a procedure: a route file's list of routes (each handler
 * in it is short), oidc-provider's configuration object, and a migration's list of tables.
 */
function isTable(path: string, name: string): boolean {
  if (path.endsWith('.routes.ts') && name.endsWith('Routes')) return true;
  if (path === 'oidc/provider.ts' && name === 'createProvider') return true;
  return path.startsWith('store/migrations/') && (name === 'up' || name === 'down');
}

describe(`functions stay under ${LIMIT} lines`, () => {
  it('has no longer function in src/ outside route and configuration tables', () => {
    const long: string[] = [];
    for (const [path, text] of sourceFiles()) {
      for (const found of longFunctions(path, text, LIMIT)) if (!isTable(path, found.name)) long.push(`${path}:${found.line} ${found.name} (${found.lines} lines)`);
    }
    expect(long).toEqual([]);
  });

  it('measures a function it is shown', () => {
    const body = Array.from({ length: LIMIT }, (_, i) => `  const v${i} = ${i};`).join('\n');
    expect(longFunctions('x.ts', `export function tooLong() {\n${body}\n}\n`, LIMIT)).toEqual([{ name: 'tooLong', line: 1, lines: LIMIT + 2 }]);
    expect(longFunctions('x.ts', 'const short = () => 1;\n', LIMIT)).toEqual([]);
  });
});
