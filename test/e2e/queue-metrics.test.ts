import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { CookieAgent, csrfOf } from '../support/cookie-agent.ts';
import { DIALECTS } from '../support/databases.ts';
import { freePort } from '../support/free-port.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';
import { RelyingParty } from '../support/relying-party.ts';
import { SmtpCatcher } from '../support/smtp-catcher.ts';
import { SystemDouble } from '../support/system-double.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';

const REDIRECT = 'http://127.0.0.1:9/callback';
const DASHBOARD = new URL('../../ops/grafana/portvakt-dashboard.json', import.meta.url);
const ALERTS = new URL('../../ops/prometheus/alerts.yml', import.meta.url);
/** Metric names of the server and its runtime; anything else in a query (functions, labels, `up`) is Prometheus's own. */
const METRIC_NAME = /\b(?:portvakt|http|process|nodejs)_[a-z0-9_]+\b/g;

/** The value of one sample of a scrape (labels in any order), undefined when there is no such sample. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-z_:][a-z0-9_:]*)(?:\{(.*)\})? (\S+)$/i.exec(line);
    if (!match || match[1] !== name) continue;
    const present = new Map([...(match[2] ?? '').matchAll(/([a-z_]+)="([^"]*)"/g)].map((label) => [label[1]!, label[2]!]));
    if (Object.entries(labels).every(([key, value]) => present.get(key) === value)) return Number(match[3]);
  }
  return undefined;
}

/** Every PromQL expression of the dashboard (its panels' queries and its variables'). */
function dashboardQueries(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(dashboardQueries);
  if (!node || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([key, value]) => ((key === 'expr' || key === 'definition') && typeof value === 'string' ? [value] : dashboardQueries(value)));
}

/** The metric names an expression uses, its quoted label values left out. */
function metricNames(expressions: readonly string[]): string[] {
  return [...new Set(expressions.flatMap((expression) => expression.replace(/"(?:[^"\\]|\\.)*"/g, '""').match(METRIC_NAME) ?? []))].sort();
}

/**
 * Every queue has its figures on /metrics, read from the database at each scrape (the same on
 * every node): the outbox while the SMTP server refuses and once a message is dead, a webhook
 * subscription whose receiver's port is closed, privacy work waiting on a person, overdue and
 * dead; and the counters of a process: 429s by limiter, sign-ins shed, waits for a hashing slot.
 * The dashboard and the alert rules use only metrics the server exposes.
 */
describe.each(DIALECTS)('metrics for every queue on %s', (dialect) => {
  let server: RunningPortvakt;
  let smtp: SmtpCatcher;
  let receiver: WebhookReceiver;
  let broken: SystemDouble;
  let rp: RelyingParty;
  let client: { client_id: string; client_secret: string };

  const scrape = async () => (await fetch(`${server.url}/metrics`)).text();
  const api = <T = any>(method: string, path: string, body?: unknown) => server.api<T>(method, path, body);

  beforeAll(async () => {
    [smtp, receiver, broken] = await Promise.all([SmtpCatcher.start(), WebhookReceiver.start(), SystemDouble.start({ kind: 'api', failFirst: 1000 })]);
    server = await startPortvakt(dialect, {
      SMTP_URL: smtp.url,
      OUTBOX_POLL_MS: '100',
      OUTBOX_RETRY_BASE_MS: '100',
      OUTBOX_RETRY_MAX_MS: '200',
      // One failed attempt, then 1.5 s pending before the second and last: time to read the pending figures.
      WEBHOOK_RETRY_BASE_MS: '1500',
      WEBHOOK_RETRY_MAX_MS: '1500',
      WEBHOOK_MAX_ATTEMPTS: '2',
      WEBHOOK_TIMEOUT_MS: '500',
      PRIVACY_RETRY_BASE_MS: '1500',
      PRIVACY_RETRY_MAX_MS: '1500',
      PRIVACY_MAX_ATTEMPTS: '2',
      RATE_LIMIT_CLIENT_PER_MINUTE: '2',
      ADMISSION_MAX_SIGN_INS: '1',
    });
    client = (await api('POST', '/clients', { client_name: 'Shop', redirect_uris: [REDIRECT], first_party: true, grant_types: ['authorization_code', 'client_credentials'] })).body;
    rp = await RelyingParty.discover(server.url, client.client_id, client.client_secret, REDIRECT);
  });
  afterAll(async () => {
    await Promise.all([server?.stop(), smtp?.close(), receiver?.close(), broken?.close()]);
  });

  it('counts the outbox: queued with the oldest age while SMTP refuses, each failure, and a message that is dead', async () => {
    await smtp.pause();
    const agent = new CookieAgent();
    const landing = await agent.follow(await rp.authorizationUrl(), server.url);
    expect((await agent.postForm(`${landing.url}/email-code`, { csrf: csrfOf(await landing.response.text()), intent: 'sign_up', email: 'queued@example.se' })).status).toBe(303);
    await vi.waitFor(async () => expect(sample(await scrape(), 'portvakt_outbox_failures_total', { topic: 'mail', outcome: 'retry' })).toBeGreaterThanOrEqual(2), { timeout: 10_000, interval: 100 });
    const during = await scrape();
    expect(sample(during, 'portvakt_outbox_queued')).toBe(1);
    expect(sample(during, 'portvakt_outbox_oldest_queued_age_seconds')).toBeGreaterThan(0);
    expect(sample(during, 'portvakt_outbox_dead')).toBe(0);

    // A message no handler can take is refused for good: dead at its first attempt.
    await server.portvakt.messaging.outbox.enqueue(server.portvakt.store.db, { topic: 'nowhere', payload: {} });
    await vi.waitFor(async () => expect(sample(await scrape(), 'portvakt_outbox_dead')).toBe(1), { timeout: 10_000, interval: 100 });
    expect(sample(await scrape(), 'portvakt_outbox_failures_total', { topic: 'nowhere', outcome: 'dead' })).toBe(1);

    await smtp.resume();
    await smtp.waitFor('queued@example.se');
    await vi.waitFor(
      async () => {
        const after = await scrape();
        expect(sample(after, 'portvakt_outbox_queued')).toBe(0);
        expect(sample(after, 'portvakt_outbox_oldest_queued_age_seconds')).toBe(0);
      },
      { timeout: 10_000, interval: 100 },
    );
  });

  it('counts webhook deliveries per subscription: pending with its age while the receiver is unreachable, then dead', async () => {
    const closed = (await api('POST', '/webhooks', { url: `http://127.0.0.1:${await freePort()}/hooks`, event_types: ['customer.created'] })).body;
    const healthy = (await api('POST', '/webhooks', { url: receiver.url, event_types: ['customer.created'] })).body;
    receiver.secret = healthy.secret;
    expect((await api('POST', '/customers', { email: 'hooked@example.se' })).status).toBe(201);
    const pending = await scrape();
    expect(sample(pending, 'portvakt_webhook_deliveries_pending', { subscription: closed.id })).toBe(1);
    expect(sample(pending, 'portvakt_webhook_deliveries_oldest_pending_age_seconds', { subscription: closed.id })).toBeGreaterThan(0);
    expect(sample(pending, 'portvakt_webhook_deliveries_dead', { subscription: closed.id })).toBe(0);

    await receiver.waitFor(1);
    await vi.waitFor(async () => expect(sample(await scrape(), 'portvakt_webhook_deliveries_dead', { subscription: closed.id })).toBe(1), { timeout: 10_000, interval: 100 });
    const dead = await scrape();
    expect(sample(dead, 'portvakt_webhook_deliveries_pending', { subscription: closed.id })).toBe(0);
    expect(sample(dead, 'portvakt_webhook_deliveries_oldest_pending_age_seconds', { subscription: closed.id })).toBe(0);
    // A subscription with nothing waiting is listed with zeros.
    expect(sample(dead, 'portvakt_webhook_deliveries_pending', { subscription: healthy.id })).toBe(0);
    expect(sample(dead, 'portvakt_webhook_deliveries_dead', { subscription: healthy.id })).toBe(0);

    // A deleted subscription's series go with it.
    expect((await api('DELETE', `/webhooks/${closed.id}`)).status).toBe(204);
    expect(sample(await scrape(), 'portvakt_webhook_deliveries_dead', { subscription: closed.id })).toBeUndefined();
  });

  it('counts privacy work: open and overdue requests, tasks in progress, waiting for an operator, and dead', async () => {
    expect((await api('POST', '/systems', { key: 'desk', name: 'Support desk', categories: ['support_conversations'], legal_basis: 'legitimate_interests', access: 'manual', checklist: ['Find the tickets by e-mail'], identified_by: ['email'] })).status).toBe(201);
    const system = await api('POST', '/systems', { key: 'broken', name: 'broken', categories: ['contact'], legal_basis: 'contract', access: 'api', endpoint: broken.endpoint, identified_by: ['email'] });
    expect(system.status).toBe(201);
    broken.secret = system.body.secret;
    const before = await scrape();
    expect(sample(before, 'portvakt_privacy_requests_open')).toBe(0);
    expect(sample(before, 'portvakt_privacy_tasks_waiting', { state: 'waiting_operator' })).toBe(0);

    const customer = (await api('POST', '/customers', { email: 'erase-me@example.se' })).body.id as string;
    const request = (await api('POST', '/privacy-requests', { customer_id: customer, kind: 'erasure', verification: 'ID checked in store' })).body;
    const opened = await scrape();
    expect(sample(opened, 'portvakt_privacy_requests_open')).toBe(1);
    expect(sample(opened, 'portvakt_privacy_requests_overdue')).toBe(0);
    expect(sample(opened, 'portvakt_privacy_tasks_waiting', { state: 'waiting_operator' })).toBe(1);
    // The broken system's task is pending: before its first attempt or backing off after it.
    expect(sample(opened, 'portvakt_privacy_tasks_open', { state: 'pending' })).toBeGreaterThanOrEqual(1);

    await sql`update privacy_requests set due_at = ${Date.now() - 1000} where id = ${request.id}`.execute(server.portvakt.store.db);
    expect(sample(await scrape(), 'portvakt_privacy_requests_overdue')).toBe(1);

    await vi.waitFor(async () => expect(sample(await scrape(), 'portvakt_privacy_tasks_waiting', { state: 'dead' })).toBe(1), { timeout: 15_000, interval: 100 });
    expect(sample(await scrape(), 'portvakt_privacy_tasks_open', { state: 'pending' })).toBe(0);
  });

  it('counts 429s by limiter, sign-ins shed by admission control, and waits for a hashing slot', async () => {
    const token = () =>
      fetch(`${server.url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret }).toString(),
      });
    const statuses = [(await token()).status, (await token()).status, (await token()).status];
    expect(statuses).toEqual([200, 200, 429]);
    expect(sample(await scrape(), 'portvakt_rate_limited_total', { limiter: 'client' })).toBe(1);

    const emails = Array.from({ length: 6 }, (_, index) => `burst${index}@example.se`);
    for (const email of emails) await api('POST', '/customers', { email, password: `a passphrase for ${email}` });
    const hashedBefore = sample(await scrape(), 'portvakt_hashing_slot_wait_seconds_count') ?? 0;
    const forms = await Promise.all(
      emails.map(async (email) => {
        const agent = new CookieAgent();
        const landing = await agent.follow(await rp.authorizationUrl(), server.url);
        return { agent, url: landing.url, csrf: csrfOf(await landing.response.text()), email };
      }),
    );
    const answers = await Promise.all(forms.map((form) => form.agent.postForm(`${form.url}/password`, { csrf: form.csrf, email: form.email, password: 'a wrong passphrase' })));
    const shed = answers.filter((answer) => answer.status === 429).length;
    const served = answers.filter((answer) => answer.status === 401).length;
    expect(shed, String(answers.map((answer) => answer.status))).toBeGreaterThan(0);
    expect(shed + served).toBe(emails.length);

    const after = await scrape();
    expect(sample(after, 'portvakt_sign_ins_shed_total', { reason: 'in_flight' })).toBe(shed);
    // A shed sign-in is not a rate limit.
    expect(sample(after, 'portvakt_rate_limited_total', { limiter: 'admission' })).toBeUndefined();
    expect(sample(after, 'portvakt_rate_limited_total', { limiter: 'attempts' })).toBe(0);
    expect(sample(after, 'portvakt_sign_ins_shed_total', { reason: 'event_loop' })).toBe(0);
    expect(sample(after, 'portvakt_hashing_slot_wait_seconds_count')).toBeGreaterThanOrEqual(hashedBefore + served);
    expect(sample(after, 'portvakt_ready')).toBe(1);
  });

  it('has a dashboard and alert rules that use only metrics the server exposes, and a dashboard that shows every Portvakt metric', async () => {
    const text = await scrape();
    const exposed = new Set(text.split('\n').filter((line) => line && !line.startsWith('#')).map((line) => line.split(/[{ ]/)[0]!));
    const families = [...text.matchAll(/^# TYPE (portvakt_[a-z0-9_]+) /gm)].map((match) => match[1]!);

    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8'));
    expect(dashboard).toMatchObject({ uid: expect.any(String), title: 'Portvakt', schemaVersion: expect.any(Number), panels: expect.any(Array) });
    for (const panel of dashboard.panels) {
      expect(panel, JSON.stringify(panel)).toMatchObject({ id: expect.any(Number), type: expect.any(String), title: expect.any(String), gridPos: { h: expect.any(Number), w: expect.any(Number), x: expect.any(Number), y: expect.any(Number) } });
      if (panel.type !== 'row') expect(panel.targets.length, panel.title).toBeGreaterThan(0);
    }
    expect(new Set(dashboard.panels.map((panel: { id: number }) => panel.id)).size).toBe(dashboard.panels.length);

    const alerts = parse(readFileSync(ALERTS, 'utf8'));
    expect(alerts.groups.length).toBeGreaterThan(0);
    const rules = alerts.groups.flatMap((group: { name: string; rules: unknown[] }) => {
      expect(group.name).toEqual(expect.any(String));
      return group.rules;
    });
    for (const rule of rules) {
      expect(rule, JSON.stringify(rule)).toMatchObject({ alert: expect.stringMatching(/^[A-Za-z][A-Za-z0-9]*$/), expr: expect.any(String), labels: { severity: expect.stringMatching(/^(critical|warning)$/) }, annotations: { summary: expect.any(String), description: expect.any(String) } });
      if ('for' in rule) expect(rule.for).toMatch(/^\d+[smhd]$/);
    }
    const alertNames = rules.map((rule: { alert: string }) => rule.alert);
    expect(alertNames).toEqual(expect.arrayContaining(['PortvaktDown', 'PortvaktNotReady', 'PortvaktServerErrors', 'PortvaktShedsSignIns', 'PortvaktOutboxBacklog', 'PortvaktOutboxDeadLetters', 'PortvaktWebhookDeliveriesDead', 'PortvaktPrivacyRequestOverdue']));

    const inDashboard = metricNames(dashboardQueries(dashboard));
    const inAlerts = metricNames(rules.map((rule: { expr: string }) => rule.expr));
    expect(inDashboard).toContain('portvakt_outbox_oldest_queued_age_seconds');
    expect(inAlerts).toContain('portvakt_webhook_deliveries_dead');
    expect([...inDashboard, ...inAlerts].filter((name) => !exposed.has(name))).toEqual([]);
    // Every Portvakt metric is on the dashboard (a histogram through its buckets or count).
    expect(families.filter((family) => !inDashboard.some((name) => name === family || name.startsWith(`${family}_`)))).toEqual([]);
  });
});
