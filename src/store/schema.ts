/**
 * Table types shared by both dialects. Times are epoch milliseconds (bigint in PostgreSQL,
 * integer in SQLite), booleans are 0/1 integers and structured values are JSON text, so one
 * query works unchanged on SQLite and PostgreSQL.
 */
import type { ColumnType } from 'kysely';

export interface CustomersTable {
  id: string;
  pool: string;
  status: 'active' | 'disabled';
  given_name: string | null;
  family_name: string | null;
  locale: string | null;
  /** Bumped by every update; a write that read an older version is refused (optimistic lock). */
  version: number;
  created_at: number;
  updated_at: number;
}

/**
 * A search key of a customer's names (i18n/name-folding.ts: each folded word, and each ordered
 * pair of words), for the search by name prefix; kept in step with `customers` in the transaction
 * that writes the names.
 */
export interface CustomerNameKeysTable {
  customer_id: string;
  /** `default/w/anna`, `default/p/ann/andersson`: compared by code point on both engines ("C" collation on PostgreSQL). */
  search_key: string;
}

export interface CustomerEmailsTable {
  customer_id: string;
  pool: string;
  email: string;
  verified_at: number | null;
  created_at: number;
}

export type CredentialType = 'password' | 'totp' | 'recovery_code' | 'passkey';

export interface CredentialsTable {
  id: string;
  customer_id: string;
  type: CredentialType;
  /** argon2id hash, sealed TOTP secret, recovery-code hash or passkey public key (JSON). */
  secret: string;
  label: string | null;
  /** Passkey credential id: unique per type, how an assertion finds its key. */
  lookup_key: string | null;
  /** Passkey signature counter, or the last accepted TOTP time step (replay protection). */
  counter: number | null;
  last_used_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface CustomerPhonesTable {
  customer_id: string;
  pool: string;
  /** E.164 */
  phone: string;
  verified_at: number | null;
  created_at: number;
}

/** A 6-digit code and a link token, stored as keyed hashes, single use, with an attempt counter. */
export interface OneTimeCodesTable {
  id: string;
  purpose: string;
  /** The interaction (or account flow) the code was sent for; a code only works there. */
  flow_id: string | null;
  customer_id: string | null;
  /** The e-mail address or phone number the code went to. */
  target: string;
  code_hash: string;
  link_hash: string;
  /** JSON the step needs once the code is proven (e.g. the sign-up form). */
  payload: string | null;
  attempts: number;
  created_at: number;
  expires_at: number;
  consumed_at: number | null;
}

/** The state of one hosted sign-in (keyed by the oidc-provider interaction uid). */
export interface InteractionFlowsTable {
  uid: string;
  state: string;
  customer_id: string | null;
  data: string;
  expires_at: number;
  updated_at: number;
}

/** Messages (and later events) waiting for delivery; payloads are sealed, cleared once delivered. */
export interface OutboxTable {
  id: string;
  topic: string;
  payload: string;
  status: 'pending' | 'delivered' | 'dead';
  attempts: number;
  next_attempt_at: number;
  /** A worker owns the row until then; another may take it over afterwards. */
  claimed_until: number;
  last_error: string | null;
  created_at: number;
  /** Past this the message is useless (its code expired): dead instead of retried. */
  expires_at: number | null;
  delivered_at: number | null;
}

export interface SessionDevicesTable {
  /** oidc-provider's Session uid (stable for the browser session; its id changes at each login). */
  session_uid: string;
  account_id: string;
  user_agent: string;
  created_at: number;
  last_used_at: number;
}

/** One audit entry; `hash` covers every other column and the previous entry's hash. */
export interface AuditLogTable {
  seq: number;
  at: number;
  action: string;
  actor_type: 'customer' | 'operator' | 'client' | 'system';
  actor_id: string | null;
  subject_type: string | null;
  subject_id: string | null;
  /** Canonical JSON of ids and outcomes; never passwords, codes or tokens. */
  details: string;
  prev_hash: string;
  hash: string;
}

export interface AuditHeadTable {
  id: number;
  seq: number;
  hash: string;
}

export interface WebhookSubscriptionsTable {
  id: string;
  url: string;
  /** JSON array of event types, `*` for all. */
  event_types: string;
  /** Sealed signing secret (whsec_…), shown once when created. */
  secret: string;
  description: string | null;
  created_at: number;
  /** The operator that made it (`key:…`, `client:…`); null: an admin. */
  owner: string | null;
}

/** A change others care about, written in the change's transaction. */
export interface EventsTable {
  id: string;
  type: string;
  customer_id: string | null;
  /** JSON: ids and what changed (field names), never secrets. */
  data: string;
  occurred_at: number;
}

export interface WebhookDeliveriesTable {
  id: string;
  seq: number;
  subscription_id: string;
  event_id: string;
  /** The customer (or `-` for events about nobody): deliveries per key go out in order. */
  ordering_key: string;
  status: 'pending' | 'delivered' | 'dead';
  attempts: number;
  next_attempt_at: number;
  claimed_until: number;
  last_error: string | null;
  created_at: number;
  delivered_at: number | null;
}

export interface WebhookSequenceTable {
  id: number;
  seq: number;
}

export interface ConsentPurposesTable {
  key: string;
  required: number;
  /** The brand whose customers are asked; null for every brand of the group. */
  brand: string | null;
  current_version: number;
  created_at: number;
}

export interface ConsentPurposeVersionsTable {
  purpose_key: string;
  version: number;
  /** JSON { sv: {title, description, legal_text}, en: {…} } */
  texts: string;
  /** SHA-256 of the canonical texts: what a record says was shown. */
  text_hash: string;
  /** A new version that must be asked again (the customer's earlier grant does not carry over). */
  requires_fresh_consent: number;
  created_at: number;
}

/** One decision, never changed afterwards. */
export interface ConsentRecordsTable {
  id: string;
  seq: number;
  customer_id: string;
  purpose_key: string;
  version: number;
  decision: 'granted' | 'declined' | 'withdrawn';
  text_hash: string;
  locale: string;
  channel: 'web' | 'app' | 'store' | 'phone';
  client_id: string | null;
  actor_type: 'customer' | 'agent';
  actor_id: string | null;
  ip_hash: string | null;
  recorded_at: number;
  /** The brand of the client the decision was given at (null: no client, or a client of no brand). */
  brand: string | null;
  /** The consent-management platform that recorded the decision (null: taken here). */
  source_platform: string | null;
  /** The platform's own id of its record (unique per platform). */
  source_record_id: string | null;
  /** When the platform captured the decision (ms); null: at `recorded_at`. The later capture wins. */
  captured_at: number | null;
  /** The platform's proof: a TCF string or a document hash. */
  source_proof: string | null;
  /** 1: the decision took effect; 0: an older platform decision that arrived late, kept as history only. */
  counts: number;
}

/** Per purpose, version, brand ('' for none) and decision: how many customers have it as their current decision. */
export interface ConsentFiguresTable {
  purpose_key: string;
  version: number;
  brand: string;
  decision: ConsentRecordsTable['decision'];
  customers: number;
}

export interface ConsentSequenceTable {
  id: number;
  seq: number;
}

/** Development only: where mail and SMS land when no SMTP server or SMS provider is configured. */
export interface DevOutboxTable {
  id: string;
  channel: 'email' | 'sms';
  recipient: string;
  subject: string | null;
  body: string;
  created_at: number;
}

export interface ClientsTable {
  client_id: string;
  client_secret_hash: string | null;
  metadata: string;
  first_party: number;
  version: number;
  created_at: number;
  updated_at: number;
}

export interface OidcArtifactsTable {
  model: string;
  id: string;
  payload: string;
  grant_id: string | null;
  /** The customer the artifact belongs to, so disabling or erasing them ends every session and token. */
  account_id: string | null;
  uid: string | null;
  user_code: string | null;
  expires_at: number | null;
  consumed_at: number | null;
}

export interface SigningKeysTable {
  kid: string;
  alg: string;
  encrypted_jwk: string;
  status: 'active' | 'retired';
  created_at: number;
  retired_at: number | null;
  remove_after: number | null;
}

export interface LoginThrottleTable {
  key: string;
  failures: number;
  last_failure_at: number;
  locked_until: number;
}


/** A system holding customer data (the data map). JSON columns: categories (string[]), retention, checklist (string[]). */
export interface DataSystemsTable {
  key: string;
  name: string;
  categories: string;
  legal_basis: string;
  retention: string | null;
  access: 'api' | 'callback' | 'manual' | 'builtin';
  endpoint: string | null;
  /** Sealed Standard Webhooks secret: signs what Portvakt sends, verifies what the system calls back. */
  secret: string | null;
  checklist: string | null;
  /** JSON list: how the system keys its customers (`reference`, `email`, `phone`), what its tasks tell it. */
  identified_by: ColumnType<string, string | undefined, string>;
  version: number;
  created_at: number;
  updated_at: number;
}

/** Changes to a count of customers (`customers`, `reference:{system}`), summed on read, folded now and then. */
export interface CustomerCountsTable {
  id: string;
  counter: string;
  customers: number;
}

/** The customer's id in another system (CRM id, loyalty number, web-shop id). */
/** `portvakt import`: per file fingerprint and pool, the last line whose batch committed. */
export interface ImportRunsTable {
  fingerprint: string;
  pool: string;
  platform: string;
  committed_line: number;
  started_at: number;
  updated_at: number;
  finished_at: number | null;
}

/** The outcome of a line of an import that was not simply accepted (no personal data: line number, field, reason). */
export interface ImportRunLinesTable {
  fingerprint: string;
  pool: string;
  line: number;
  outcome: 'updated' | 'skipped' | 'refused';
  field: string | null;
  reason: string;
}

/** An import run as a job of the API (`POST /api/v1/imports`): state, options, progress, summary; no personal data. */
export interface ImportJobsTable {
  id: string;
  pool: string;
  /** The upload's SHA-256: its run in `import_runs`. */
  fingerprint: string;
  /** The import's options as JSON (format, platform, update, dry run, weak hashes, events, batch). */
  options: string;
  upload_bytes: number;
  state: 'running' | 'completed' | 'failed';
  lines_done: number;
  bytes_done: number;
  /** The report's summary as JSON, once completed. */
  summary: string | null;
  /** Why it failed: a stable code and a message naming no customer. */
  error: string | null;
  /** Who started it (`admin-key`, `key:…`), as the audit log names them. */
  operator: string;
  /** The running node renews this; past it, the job was interrupted. */
  lease_until: number;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

export interface CustomerReferencesTable {
  customer_id: string;
  system: string;
  reference: string;
  created_at: number;
}

export type PrivacyRequestState = 'received' | 'verified' | 'in_progress' | 'completed' | 'completed_with_exceptions' | 'failed';

export interface PrivacyRequestsTable {
  id: string;
  kind: 'erasure' | 'export';
  customer_id: string;
  state: PrivacyRequestState;
  source: 'customer' | 'operator';
  received_at: number;
  verified_at: number | null;
  /** How the requester was identified (fresh sign-in, or what the operator checked). */
  verification: string | null;
  due_at: number;
  extension_reason: string | null;
  completed_at: number | null;
  /** JSON: the evidence report, written at completion. */
  report: string | null;
  version: number;
  /** When `privacy.request.overdue` was published for the current due date (null: not yet). */
  overdue_announced_at: number | null;
}

/** `not_identified`: the customer has none of the identifiers the system keys customers by; the system is never called. */
export type PrivacyTaskState = 'pending' | 'waiting_callback' | 'waiting_operator' | 'scheduled' | 'done' | 'dead' | 'not_identified';

/** One system's part of a privacy request. `receipt` is the system's JSON answer. */
export interface PrivacyTasksTable {
  id: string;
  request_id: string;
  system: string;
  access: DataSystemsTable['access'];
  mode: 'delete' | 'restrict' | 'export';
  reference: string | null;
  categories: string;
  state: PrivacyTaskState;
  attempts: number;
  next_attempt_at: number;
  claimed_until: number;
  last_error: string | null;
  receipt: string | null;
  /** Sealed JSON: what an export task brought back, until the archive is assembled. */
  export_data: string | null;
  /** JSON: the identifiers sent to the system (those it declared and the customer had); null once the task is finished. */
  identifiers: string | null;
  created_at: number;
  completed_at: number | null;
}

/** An export's archive (sealed), fetched once through a link whose token is stored as a hash. */
export interface PrivacyExportsTable {
  request_id: string;
  customer_id: string;
  token_hash: string;
  archive: string | null;
  created_at: number;
  expires_at: number;
  downloaded_at: number | null;
}

/** An erased customer's address, as a keyed hash: imports of it are refused. */
export interface SuppressionsTable {
  pool: string;
  email_hash: string;
  request_id: string;
  created_at: number;
}

/** An upstream identity provider customers may sign in with (generic OpenID Connect for now). */
export interface ConnectionsTable {
  key: string;
  name: string;
  kind: string;
  issuer: string;
  client_id: string;
  /** Sealed under a key derived from PORTVAKT_SECRET. */
  client_secret: string | null;
  scopes: string;
  /** 1: the upstream's email_verified is taken as proof of the address. */
  trust_email_verified: number;
  enabled: number;
  /** JSON: the kind's own settings (ConnectionSettings); nothing secret. */
  settings: string;
  /** JSON array of client ids, null: every client. */
  clients: string | null;
  /** JSON array of brand keys, null: every brand. */
  brands: string | null;
  version: number;
  created_at: number;
  updated_at: number;
}

/** A customer's account at a connection, by the upstream's subject. */
export interface IdentitiesTable {
  connection: string;
  subject: string;
  customer_id: string;
  created_at: number;
  last_used_at: number;
}

export interface ApiKeysTable {
  /** Public part of the key, `pvk_…`: how a presented key is found. */
  id: string;
  name: string;
  role: string;
  /** JSON array of system keys (integration keys), or null. */
  systems: string | null;
  /** JSON array of purpose keys an integration key may record decisions for (the consent capability), or null. */
  consent_purposes: string | null;
  /** The store a `store` key is a till of, or null. */
  store: string | null;
  /** SHA-256 (hex) of the secret part; the secret itself is shown once, at creation. */
  secret_hash: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

export interface CallerVerificationsTable {
  id: string;
  customer_id: string;
  /** email, sms: a code the customer reads out; portal: approved in their signed-in account. */
  channel: 'email' | 'sms' | 'portal';
  status: 'pending' | 'verified' | 'failed' | 'denied' | 'expired';
  /** The operator (API key or machine client) that started it. */
  operator_id: string;
  /** The person at customer service, as the calling system names them. */
  agent_id: string | null;
  created_at: number;
  expires_at: number;
  decided_at: number | null;
}

export interface ProfileAttributesTable {
  key: string;
  type: string;
  /** JSON {sv, en}: the field's label on the hosted pages. */
  labels: string;
  /** JSON array of allowed values (enum), or null. */
  options: string | null;
  ask: string;
  /** 1: the customer may change it on their profile page; 0: not; null: unless `ask` is never. */
  customer_editable: number | null;
  created_at: number;
  updated_at: number;
}

export interface CustomerAttributesTable {
  customer_id: string;
  key: string;
  /** JSON of the typed value. */
  value: string;
  updated_at: number;
}

export interface GuestsTable {
  id: string;
  pool: string;
  email: string;
  given_name: string | null;
  family_name: string | null;
  /** JSON array of the shop's order references. */
  order_references: string;
  /** JSON array of {purpose, version, decision} made at checkout, recorded when the guest is claimed. */
  consents: string;
  locale: string;
  /** The client (shop) that created the guest. */
  client_id: string | null;
  /** SHA-256 (hex) of the claim token. */
  token_hash: string;
  created_at: number;
  expires_at: number;
  claimed_by: string | null;
  claimed_at: number | null;
}

export interface CustomerOrdersTable {
  customer_id: string;
  reference: string;
  guest_id: string | null;
  created_at: number;
}

export interface BrandsTable {
  key: string;
  name: string;
  /** #rrggbb: buttons, links, focus rings on the brand's hosted pages. */
  accent_color: string;
  /** image/png or image/svg+xml, with `logo` as base64; served from Portvakt's own origin. */
  logo_type: string | null;
  logo: string | null;
  /** From address of the brand's e-mails, or null for MAIL_FROM. */
  sender: string | null;
  /** The company responsible for its customers' data (the controller), or null for CONTROLLER_NAME. */
  controller: string | null;
  /** Its privacy notice (https), or null for PRIVACY_NOTICE_URL. */
  privacy_notice_url: string | null;
  /** JSON: its own wording of its messages (messaging/templates/brand-templates.ts), or null for the group's. */
  message_templates: string | null;
  version: number;
  created_at: number;
  updated_at: number;
}

export interface CustomerBrandsTable {
  customer_id: string;
  /** '' is the group (clients of no brand). */
  brand: string;
  first_at: number;
}

/** An API that takes Portvakt's access tokens (RFC 8707 resource indicator, RFC 9068 JWT access tokens). */
export interface ResourceServersTable {
  id: string;
  /** The `resource` value and the tokens' `aud`: an absolute URI without fragment, unique. */
  identifier: string;
  name: string;
  /** JSON: [{ value, description? }], the scopes the resource server defines. */
  scopes: string;
  /** 'jwt' (RFC 9068, verified offline) or 'opaque' (introspected). */
  token_format: string;
  /** Seconds an access token for this resource server lives. */
  access_token_ttl: number;
  /** JSON: the client ids that may ask for tokens for it. */
  allowed_clients: string;
  /** JSON: the client ids (the API's own) that may introspect opaque tokens issued for it. */
  introspection_clients: string;
  version: number;
  created_at: number;
  updated_at: number;
}

export interface Database {
  customers: CustomersTable;
  customer_emails: CustomerEmailsTable;
  credentials: CredentialsTable;
  clients: ClientsTable;
  oidc_artifacts: OidcArtifactsTable;
  signing_keys: SigningKeysTable;
  login_throttle: LoginThrottleTable;
  customer_phones: CustomerPhonesTable;
  one_time_codes: OneTimeCodesTable;
  interaction_flows: InteractionFlowsTable;
  outbox: OutboxTable;
  dev_outbox: DevOutboxTable;
  session_devices: SessionDevicesTable;
  audit_log: AuditLogTable;
  audit_head: AuditHeadTable;
  webhook_subscriptions: WebhookSubscriptionsTable;
  events: EventsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_sequence: WebhookSequenceTable;
  consent_purposes: ConsentPurposesTable;
  consent_purpose_versions: ConsentPurposeVersionsTable;
  consent_records: ConsentRecordsTable;
  consent_sequence: ConsentSequenceTable;
  consent_figures: ConsentFiguresTable;
  data_systems: DataSystemsTable;
  customer_references: CustomerReferencesTable;
  import_runs: ImportRunsTable;
  import_run_lines: ImportRunLinesTable;
  import_jobs: ImportJobsTable;
  customer_counts: CustomerCountsTable;
  privacy_requests: PrivacyRequestsTable;
  privacy_tasks: PrivacyTasksTable;
  suppressions: SuppressionsTable;
  privacy_exports: PrivacyExportsTable;
  connections: ConnectionsTable;
  identities: IdentitiesTable;
  api_keys: ApiKeysTable;
  caller_verifications: CallerVerificationsTable;
  profile_attributes: ProfileAttributesTable;
  customer_attributes: CustomerAttributesTable;
  guests: GuestsTable;
  customer_orders: CustomerOrdersTable;
  brands: BrandsTable;
  customer_brands: CustomerBrandsTable;
  resource_servers: ResourceServersTable;
  operators: OperatorsTable;
  operator_passkeys: OperatorPasskeysTable;
  operator_invitations: OperatorInvitationsTable;
  operator_sessions: OperatorSessionsTable;
  customer_name_keys: CustomerNameKeysTable;
  signal_types: SignalTypesTable;
  customer_signals: CustomerSignalsTable;
  segments: SegmentsTable;
  segment_members: SegmentMembersTable;
  segment_rechecks: SegmentRechecksTable;
  segment_marks: SegmentMarksTable;
  stores: StoresTable;
  member_codes: MemberCodesTable;
  store_visits: StoreVisitsTable;
  saml_service_providers: SamlServiceProvidersTable;
  saml_signing_keys: SamlSigningKeysTable;
  saml_request_ids: SamlRequestIdsTable;
}

/** A store (shop) of the group: its tills learn only the references and segments named here. */
export interface StoresTable {
  key: string;
  name: string;
  brand: string | null;
  /** The data-map system that reports the store's receipts (purchase events). */
  system: string;
  /** JSON arrays of system keys and segment keys. */
  reference_systems: string;
  segments: string;
  created_at: number;
  updated_at: number;
}

/** A member code a signed-in customer shows at a till: a keyed hash of the code, single use, minutes long. */
export interface MemberCodesTable {
  code_hash: string;
  customer_id: string;
  /** The brand it is good at ('' is the group: stores of no brand). */
  brand: string;
  issued_at: number;
  expires_at: number;
  used_at: number | null;
}

/** A customer identified at a till (by member code, or by phone and code): what the till's receipts name. */
export interface StoreVisitsTable {
  id: string;
  store: string;
  customer_id: string;
  method: 'member_code' | 'sms' | 'portal';
  created_at: number;
}

/** An event type a system may report beyond purchase, return, view and cart. */
export interface SignalTypesTable {
  key: string;
  description: string;
  created_at: number;
}

/** What a connected system reported a customer did (a purchase, a return …), kept only under the profiling consent. */
export interface CustomerSignalsTable {
  id: string;
  /** The data-map system that reported it; with `event_id`, what makes a report idempotent. */
  system: string;
  event_id: string;
  customer_id: string;
  type: string;
  occurred_at: number;
  channel: string | null;
  brand: string | null;
  /** JSON array of { sku, category, quantity, amount?, currency? }. */
  items: string;
  recorded_at: number;
}

/** A segment: a rule (JSON, personalization/segment-rules.ts) and the words the customer reads about it. */
export interface SegmentsTable {
  key: string;
  rule: string;
  /** JSON { sv: { title, reason }, en: { title, reason } }. */
  texts: string;
  /** 1 once every customer under the consent was looked at; 0 while the first build runs. */
  built: number;
  /** The last customer id the first build looked at. */
  build_cursor: string | null;
  created_at: number;
  updated_at: number;
}

export interface SegmentMembersTable {
  segment_key: string;
  customer_id: string;
  entered_at: number;
  /** JSON of the signal that qualified (type, category, occurred_at), or null for a rule on the profile alone. */
  reason: string | null;
}

/** When a customer's memberships may change by time alone (a window passes): looked at again then. */
export interface SegmentRechecksTable {
  customer_id: string;
  due_at: number;
}

export interface SegmentMarksTable {
  customer_id: string;
  marked_at: number;
}

/** A person who runs the console (not a customer). */
export interface OperatorsTable {
  id: string;
  /** Lower-cased. */
  email: string;
  name: string;
  /** JSON array of roles (operator-roles.ts). */
  roles: string;
  status: 'invited' | 'active' | 'disabled';
  /** argon2id; null until the invitation is taken (or for workforce-only operators). */
  password_hash: string | null;
  /** Sealed TOTP secret, or null. */
  totp_secret: string | null;
  /** The last accepted TOTP time step (a code is good once). */
  totp_step: number | null;
  created_at: number;
  updated_at: number;
  last_sign_in_at: number | null;
}

export interface OperatorPasskeysTable {
  id: string;
  operator_id: string;
  /** WebAuthn credential id (base64url). */
  credential_id: string;
  /** COSE public key (base64url). */
  public_key: string;
  counter: number;
  /** JSON array of transports, or null. */
  transports: string | null;
  label: string;
  created_at: number;
  last_used_at: number | null;
}

export interface OperatorInvitationsTable {
  /** SHA-256 (base64url) of the link's token. */
  token_hash: string;
  operator_id: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export interface OperatorSessionsTable {
  /** SHA-256 (base64url) of the cookie's value. */
  id_hash: string;
  operator_id: string;
  /** How the second factor was given: `passkey`, `totp` or `workforce`. */
  second_factor: string;
  created_at: number;
  /** The last sign-in (sensitive actions need it within ten minutes). */
  authenticated_at: number;
  last_seen_at: number;
  /** The absolute end, whatever the activity. */
  expires_at: number;
}

/** A SAML service provider (saml/service-provider-store.ts); JSON lists in `acs_urls` and `attributes`. */
export interface SamlServiceProvidersTable {
  id: string;
  entity_id: string;
  name: string;
  acs_urls: string;
  certificate: string | null;
  authn_requests_signed: number;
  nameid_format: 'persistent' | 'email';
  attributes: string;
  first_party: number;
  brand: string | null;
  created_at: number;
  updated_at: number;
}

/** The SAML IdP's signing key, sealed, and its self-signed certificate (PEM). */
export interface SamlSigningKeysTable {
  id: string;
  encrypted_key: string;
  certificate: string;
  created_at: number;
}

/** AuthnRequest IDs already answered, per service provider, until they would be refused as too old. */
export interface SamlRequestIdsTable {
  service_provider: string;
  request_id: string;
  expires_at: number;
}
