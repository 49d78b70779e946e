import type * as oidc from 'openid-client';
import type { z } from 'zod';

/**
 * One kind of upstream identity provider (a generic OpenID provider, Google, Apple, Microsoft,
 * Meta, …): everything that sets the kind apart, behind one interface, so the rest of federation
 * never asks which kind a connection is. Modelled on Ory Kratos' `selfservice/strategy/oidc`
 * (`provider.go`, `provider_config.go`, one `provider_<name>.go` per provider).
 *
 * `In` is what the management API takes under the kind's own key (`apple: {…}`), `Stored` what is
 * kept of it beside the connection (nothing secret) and answered.
 */
export interface Connector<In = unknown, Stored = unknown> {
  /** The kind's key: in the API, in the database, and in the registry map. */
  readonly kind: string;
  readonly preset: Preset<Stored>;
  /** The kind's own settings block, if it has one. */
  readonly settings?: ConnectorSettings<In, Stored>;
  /** Form fields beyond OAuth's that the kind's posted answer (form_post) carries and its `readProfile` reads. */
  readonly postedFields?: readonly string[];
  /** Added to the description of `client_secret` in the API documentation. */
  readonly clientSecretNote?: string;
  /** Rules on a new connection of this kind and on a change to one. */
  validate?(value: ConnectionFields, issue: Issue): void;
  /** Rules only a new connection of this kind must meet. */
  validateNew?(value: ConnectionFields, issue: Issue): void;
  /** What is sealed as the connection's secret, from the input's client secret and settings block; default: the client secret. */
  secretFrom?(clientSecret: string | null | undefined, settings: In | undefined): string | null | undefined;
  /** Refuses (400) a secret that cannot work, before anything is stored. */
  verifySecret?(secret: string | null): Promise<void>;
  /** How the client authenticates at the token endpoint. */
  clientAuthentication(connection: ConnectorConnection<Stored>, secret: string | null): Promise<oidc.ClientAuth>;
  /** The openid-client configuration of a kind without discovery; absent: discovery at the issuer. */
  configuration?(connection: ConnectorConnection<Stored>, secret: string | null, auth: oidc.ClientAuth, endpoint: EndpointCheck): oidc.Configuration;
  /** The code exchanged and checked, and who the upstream says signed in. */
  readProfile(answer: UpstreamAnswer<Stored>): Promise<UpstreamProfile>;
}

/** The defaults a connection of the kind takes unless it names its own. */
export interface Preset<Stored> {
  /** On the button: "Continue with {name}"; empty: the connection must name itself. */
  name: string;
  /** The provider's own issuer for these settings; null: the connection must name one. */
  issuer(settings: Stored | undefined): string | null;
  scopes: string;
  /** Whether the provider's `email_verified` is taken as proof of the address by default. */
  trustEmailVerified: boolean;
  /** `oidc`: code flow with an ID token (nonce, scopes start with openid); `oauth2`: code flow without. */
  protocol: 'oidc' | 'oauth2';
  /** The answer comes back posted (`response_mode=form_post`). */
  formPost: boolean;
}

export interface ConnectorSettings<In, Stored> {
  /** What the API takes under the kind's key (documented in the OpenAPI description). */
  input: z.ZodType<In>;
  /** What the API answers under the kind's key. */
  output: z.ZodType<Stored>;
  /** What of the input is kept beside the connection: nothing secret. */
  stored(input: In): Stored;
}

/** The fields of a new connection or a change that kind rules look at. */
export interface ConnectionFields {
  issuer?: string | undefined;
  name?: string | undefined;
  scopes?: string | undefined;
  client_secret?: string | null | undefined;
  /** The kind's own settings block, as given (parsed by the kind's `settings.input`). */
  settings: unknown;
}

export type Issue = (path: string, message: string) => void;

/** A connection as a connector sees it: its own settings block only. */
export interface ConnectorConnection<Stored> {
  key: string;
  clientId: string;
  issuer: string;
  settings: Stored | undefined;
}

/** Refuses an endpoint that is not https (outside production, plain http too); answers it as a URL. */
export type EndpointCheck = (value: string) => URL;

/** The upstream's answer at the callback, with the checks this sign-in stored. */
export interface UpstreamAnswer<Stored> {
  connection: ConnectorConnection<Stored>;
  config: oidc.Configuration;
  secret: string | null;
  callbackUrl: URL;
  checks: { verifier: string; returnState: string; nonce: string };
}

/** What the upstream says about the person, whatever its protocol. */
export interface UpstreamProfile {
  subject: string;
  email: unknown;
  /** The upstream itself says it verified the address. */
  emailVerified: boolean;
  givenName: unknown;
  familyName: unknown;
  locale: unknown;
}
