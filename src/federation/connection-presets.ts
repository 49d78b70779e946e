/**
 * The kinds of connection now live in `connectors/`, one file each, registered in
 * `connectors/registry.ts`. This name stays for the store's table types, which import the kind from here.
 */
export type { ConnectionKind } from './connectors/registry.ts';
