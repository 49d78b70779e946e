/**
 * Table types shared by both dialects. Times are epoch milliseconds (bigint in PostgreSQL,
 * integer in SQLite), booleans are 0/1 integers and structured values are JSON text, so one
 * query works unchanged on SQLite and PostgreSQL.
 */
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

export interface CustomerEmailsTable {
  customer_id: string;
  pool: string;
  email: string;
  verified_at: number | null;
  created_at: number;
}

export interface CredentialsTable {
  id: string;
  customer_id: string;
  type: 'password';
  secret: string;
  created_at: number;
  updated_at: number;
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


export interface Database {
  customers: CustomersTable;
  customer_emails: CustomerEmailsTable;
  credentials: CredentialsTable;
  clients: ClientsTable;
  oidc_artifacts: OidcArtifactsTable;
  signing_keys: SigningKeysTable;
  login_throttle: LoginThrottleTable;
}
