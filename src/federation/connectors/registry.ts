import { apple } from './apple.ts';
import type { Connector, ConnectorConnection } from './connector.ts';
import { google } from './google.ts';
import { meta } from './meta.ts';
import { microsoft } from './microsoft.ts';
import { oidc } from './oidc.ts';

/**
 * Every kind of upstream provider, under its key: the one place a kind is registered. A new kind
 * is one file beside these and one line here.
 */
export const CONNECTORS = {
  oidc,
  google,
  apple,
  microsoft,
  meta,
} as const;

type Registry = typeof CONNECTORS;
export type ConnectionKind = keyof Registry;

// Each connector is registered under its own kind (checked when type checking).
CONNECTORS satisfies { [K in ConnectionKind]: Connector & { kind: K } };

export const CONNECTION_KINDS = Object.keys(CONNECTORS) as [ConnectionKind, ...ConnectionKind[]];

/** A kind read back from storage; one no connector is registered for is a corrupt row (or a connector removed), not a guess. */
export function storedKind(kind: string): ConnectionKind {
  if (!Object.hasOwn(CONNECTORS, kind)) throw new Error(`no connector for the stored kind ${kind}`);
  return kind as ConnectionKind;
}

export function connectorFor(kind: ConnectionKind): Connector {
  return CONNECTORS[kind];
}

/** The kinds with a settings block of their own, under their key. */
export type SettingsKind = { [K in ConnectionKind]: Registry[K] extends { settings: object } ? K : never }[ConnectionKind];
export const SETTINGS_KINDS = CONNECTION_KINDS.filter((kind) => connectorFor(kind).settings !== undefined) as SettingsKind[];

type SettingsOf<K extends SettingsKind> = Registry[K]['settings'];
/** The zod schemas of the kinds' settings blocks, by kind: what the management API takes. */
export type SettingsInputShape = { [K in SettingsKind]: SettingsOf<K>['input'] };
/** The same for what it answers. */
export type SettingsOutputShape = { [K in SettingsKind]: SettingsOf<K>['output'] };

/** Kind-specific settings, kept as JSON beside the connection, under the kind's key. Nothing in here is secret. */
export type ConnectionSettings = { [K in SettingsKind]?: ReturnType<SettingsOf<K>['stored']> };

export function settingsInputShape(): SettingsInputShape {
  return Object.fromEntries(SETTINGS_KINDS.map((kind) => [kind, CONNECTORS[kind].settings.input])) as SettingsInputShape;
}

export function settingsOutputShape(): SettingsOutputShape {
  return Object.fromEntries(SETTINGS_KINDS.map((kind) => [kind, CONNECTORS[kind].settings.output])) as SettingsOutputShape;
}

/** The settings block a create or patch body gives under `kind`'s key (parsed by that kind's schema), if any. */
export function ownSettingsIn(body: object, kind: ConnectionKind): unknown {
  return (body as Partial<Record<ConnectionKind, unknown>>)[kind];
}

/** A connection as its connector sees it: its own settings block only. */
export function connectorView(connection: { key: string; clientId: string; issuer: string; kind: ConnectionKind; settings: ConnectionSettings }): ConnectorConnection<unknown> {
  return { key: connection.key, clientId: connection.clientId, issuer: connection.issuer, settings: ownSettingsIn(connection.settings, connection.kind) };
}
