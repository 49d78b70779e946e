/**
 * The layers of `src/`, top to bottom, written down once. A module may import from its own layer
 * and from any layer below it, never from one above: routes call flows, flows call the domain,
 * the domain calls the store, and everything may use the base. `layers.test.ts` enforces it.
 *
 * A file belongs to the first layer whose rule matches its path (relative to `src/`).
 */
export interface Layer {
  name: string;
  /** What lives here, for the reader (DESIGN.md repeats it). */
  holds: string;
  matches: (path: string) => boolean;
}

const under = (...folders: string[]) => (path: string) => folders.some((folder) => path.startsWith(`${folder}/`));
const named = (...files: string[]) => (path: string) => files.includes(path);
const endsWith = (...suffixes: string[]) => (path: string) => suffixes.some((suffix) => path.endsWith(suffix));

export const LAYERS: readonly Layer[] = [
  {
    name: 'app',
    holds: 'the composition root and process entry: builds the services once, mounts each audience',
    matches: (path) => named('app.ts', 'cli.ts')(path) || under('app')(path),
  },
  {
    name: 'edge',
    holds: 'HTTP: route files, the page-step and API-route helpers, CSRF, rate limits, page templates, the operator console',
    matches: (path) => endsWith('.routes.ts', '.page.ts')(path) || under('http', 'pages', 'console')(path),
  },
  {
    name: 'flows',
    holds: 'self-service flows a person walks through: sign-in methods, the steps after sign-in, recovery, account self-service',
    matches: under('flows', 'account'),
  },
  {
    name: 'domain',
    holds: 'services that own the business rules and their tables: customers, credentials, consent, privacy, federation, events, oidc, …',
    matches: (path) => !under('store', 'errors', 'validation', 'i18n', 'crypto', 'config')(path),
  },
  {
    name: 'store',
    holds: 'Kysely database, dialects, schema types, migrations, Redis connection',
    matches: under('store'),
  },
  {
    name: 'base',
    holds: 'what every layer may use: typed errors, input validation, messages and locales, crypto helpers, configuration',
    matches: under('errors', 'validation', 'i18n', 'crypto', 'config'),
  },
];

export function layerOf(path: string): number {
  const index = LAYERS.findIndex((layer) => layer.matches(path));
  if (index < 0) throw new Error(`no layer for src/${path}`);
  return index;
}
