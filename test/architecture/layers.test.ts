import { describe, expect, it } from 'vitest';
import { LAYERS, layerOf } from './layers.ts';
import { importsOf, sourceFiles } from './source-files.ts';

/** Each import that reaches a layer above its module's own: `from (layer) -> to (layer)`. */
function upwardImports(files: Map<string, string>): string[] {
  const found: string[] = [];
  for (const [path, text] of files) {
    for (const target of importsOf(path, text)) {
      if (layerOf(target) < layerOf(path)) found.push(`${path} (${LAYERS[layerOf(path)]!.name}) -> ${target} (${LAYERS[layerOf(target)]!.name})`);
    }
  }
  return found.sort();
}

/** Groups of modules that import each other, directly or around a loop (Tarjan's strongly connected components). */
function importCycles(files: Map<string, string>): string[][] {
  const edges = new Map([...files].map(([path, text]) => [path, importsOf(path, text).filter((target) => files.has(target))]));
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const connect = (module: string) => {
    index.set(module, index.size);
    low.set(module, index.get(module)!);
    stack.push(module);
    for (const next of edges.get(module)!) {
      if (!index.has(next)) connect(next);
      if (stack.includes(next)) low.set(module, Math.min(low.get(module)!, low.get(next)!));
    }
    if (low.get(module) !== index.get(module)) return;
    const group = stack.splice(stack.indexOf(module));
    if (group.length > 1) cycles.push(group.sort());
  };
  for (const module of edges.keys()) if (!index.has(module)) connect(module);
  return cycles;
}

describe('imports run one way (test/architecture/layers.ts)', () => {
  const files = sourceFiles();

  it('puts every module of src/ in a layer', () => {
    expect(files.size).toBeGreaterThan(100);
    for (const path of files.keys()) expect(() => layerOf(path)).not.toThrow();
  });

  it('has no module importing from a layer above its own', () => {
    expect(upwardImports(files)).toEqual([]);
  });

  it('has no import cycle', () => {
    expect(importCycles(files)).toEqual([]);
  });

  it('would see an upward import and a cycle (the checks check something)', () => {
    const planted = new Map<string, string>();
    planted.set('customers/planted.ts', "import { sendPage } from '../http/page-reply.ts';\nimport type { Store } from '../store/database.ts';\n");
    planted.set('store/planted.ts', "import type { Customers } from '../customers/customer.service.ts';\n");
    planted.set('errors/loop-a.ts', "import { b } from './loop-b.ts';\n");
    planted.set('errors/loop-b.ts', "export { a } from './loop-a.ts';\n");
    expect(upwardImports(planted)).toEqual([
      'customers/planted.ts (domain) -> http/page-reply.ts (edge)',
      'store/planted.ts (store) -> customers/customer.service.ts (domain)',
    ]);
    expect(importCycles(planted)).toEqual([['errors/loop-a.ts', 'errors/loop-b.ts']]);
  });
});
