import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './load-config.ts';

const dataDir = () => mkdtempSync(join(tmpdir(), 'portvakt-config-'));

describe('loadConfig', () => {
  it('runs with no configuration: port 3000, localhost issuer, SQLite under the data dir, a generated secret', () => {
    const dir = dataDir();
    const config = loadConfig({ PORTVAKT_DATA_DIR: dir });
    expect(config.port).toBe(3000);
    expect(config.issuer).toBe('http://localhost:3000');
    expect(config.database).toEqual({ kind: 'sqlite', file: join(dir, 'portvakt.db') });
    expect(config.secret).toHaveLength(43);
    expect(readFileSync(join(dir, 'secret'), 'utf8').trim()).toBe(config.secret);
    expect(statSync(join(dir, 'secret')).mode & 0o777).toBe(0o600);
    expect(loadConfig({ PORTVAKT_DATA_DIR: dir }).secret).toBe(config.secret);
    expect(config.adminKey).toBeUndefined();
  });

  it('reads PORT, ISSUER, DATABASE_URL and PORTVAKT_ADMIN_KEY', () => {
    const config = loadConfig({
      PORT: '8080',
      ISSUER: 'https://id.example.se',
      DATABASE_URL: 'postgres://u@db/portvakt',
      PORTVAKT_SECRET: 's'.repeat(32),
      PORTVAKT_ADMIN_KEY: 'k'.repeat(32),
      PORTVAKT_DATA_DIR: dataDir(),
    });
    expect(config).toMatchObject({ port: 8080, issuer: 'https://id.example.se', database: { kind: 'postgres', url: 'postgres://u@db/portvakt' }, adminKey: 'k'.repeat(32) });
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.168.1.5', PORTVAKT_DATA_DIR: dataDir() }).trustProxy).toEqual(['10.0.0.0/8', '192.168.1.5']);
    expect(loadConfig({ TRUST_PROXY: 'false', PORTVAKT_DATA_DIR: dataDir() }).trustProxy).toBe(false);
  });

  it.each([
    [{ PORT: 'abc' }, /^PORT must be a number$/],
    [{ PORT: '70000' }, /^PORT /],
    [{ ISSUER: 'ftp://x' }, /^ISSUER must be an http\(s\) URL/],
    [{ ISSUER: 'https://id.example.se/' }, /^ISSUER must have no query, fragment or trailing slash/],
    [{ DATABASE_URL: 'mysql://x' }, /^DATABASE_URL must start with postgres:\/\/ or sqlite:/],
    [{ PORTVAKT_SECRET: 'short' }, /^PORTVAKT_SECRET must be at least 32 characters/],
    [{ PORTVAKT_ADMIN_KEY: 'short' }, /^PORTVAKT_ADMIN_KEY must be at least 24 characters/],
    [{ PASSWORD_MIN_LENGTH: '4' }, /^PASSWORD_MIN_LENGTH /],
    [{ NODE_ENV: 'production', ISSUER: 'https://id.example.se' }, /^PORTVAKT_SECRET is required when NODE_ENV=production$/],
    [{ NODE_ENV: 'production', PORTVAKT_SECRET: 's'.repeat(32) }, /^ISSUER must be an https URL when NODE_ENV=production$/],
    [{ NODE_ENV: 'production', PORTVAKT_SECRET: 's'.repeat(32), ISSUER: 'https://id.example.se' }, /^TRUST_PROXY must name the TLS proxy/],
    [{ NODE_ENV: 'production', PORTVAKT_SECRET: 's'.repeat(32), ISSUER: 'https://id.example.se', TRUST_PROXY: '10.0.0.1' }, /^SMTP_URL is required when NODE_ENV=production/],
    [{ SMTP_URL: 'http://mail' }, /^SMTP_URL must be an smtp/],
    [{ CONSOLE_OIDC_ISSUER: 'https://login.example.com/tenant/v2.0' }, /^CONSOLE_OIDC_ISSUER, CONSOLE_OIDC_CLIENT_ID, CONSOLE_OIDC_CLIENT_SECRET and CONSOLE_OIDC_GROUP_ROLES go together/],
    [{ CONSOLE_OIDC_GROUP_ROLES: 'admins=root' }, /^CONSOLE_OIDC_GROUP_ROLES must be group=role pairs/],
    [{ CONSOLE_IDLE_TIMEOUT_SECONDS: '5' }, /^CONSOLE_IDLE_TIMEOUT_SECONDS /],
    [{ SMS_PROVIDER: 'twilio' }, /^SMS_FROM is required when SMS_PROVIDER=twilio|^TWILIO_ACCOUNT_SID is required/],
    [{ TRUST_PROXY: '10.0.0.0/8,nonsense' }, /^TRUST_PROXY must be false, true or the proxy addresses\/CIDRs \(bad entry "nonsense"\)$/],
    [{ LOGIN_FAILURE_WINDOW_SECONDS: '60', LOGIN_DELAY_MAX_SECONDS: '900' }, /^LOGIN_FAILURE_WINDOW_SECONDS must not be below LOGIN_DELAY_MAX_SECONDS$/],
  ])('stops on %o with one line naming the variable', (env, message) => {
    const run = () => loadConfig({ PORTVAKT_DATA_DIR: dataDir(), ...env });
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(message);
  });
});
