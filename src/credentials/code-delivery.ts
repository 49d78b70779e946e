import type { BrandTemplates } from '../messaging/templates/brand-templates.ts';
import type { Kysely, Transaction } from 'kysely';
import type { CodePurpose, OneTimeCodes } from './one-time-codes.ts';
import type { LoginThrottle, ThrottleKey } from './login-throttle.ts';
import type { Messenger } from '../messaging/messenger.ts';
import type { MessageKind } from '../messaging/templates/message-texts.ts';
import type { MessageBrand } from '../messaging/templates/render-message.ts';
import type { Locale } from '../i18n/locale.ts';
import type { Database, OneTimeCodesTable } from '../store/schema.ts';
import type { Customers } from '../customers/customers.ts';
import type { AuditLog } from '../events/audit-log.ts';
import { DomainError, tooManyAttempts } from '../errors/domain-error.ts';
import type { InteractionFlowStore } from '../oidc/interaction-flows.ts';

/** Wrong codes for one address or phone, across codes and networks, before entries are delayed. */
const CODE_ENTRY_FREE_FAILURES = 20;

/** What every code-based hosted flow (e-mail sign-in, recovery, SMS) works with. */
export interface CodeFlowDeps {
  delivery: CodeDelivery;
  customers: Customers;
  flows: InteractionFlowStore;
  issuer: string;
  pool: string;
}

export interface CodeRequest {
  purpose: CodePurpose;
  flowId: string;
  channel: 'email' | 'sms';
  target: string;
  customerId: string | null;
  /** Which message to send; undefined sends nothing (an unknown address gets the same answer, no mail). */
  kind: MessageKind | undefined;
  locale: Locale;
  ip: string;
  /** The link in the message, given the link token. */
  link?: (token: string) => string;
  payload?: unknown;
  /** The brand of the client the code is for (name, sender); the group's when absent. */
  brand?: { name: string; sender: string | null; templates?: BrandTemplates | undefined } | undefined;
}

/**
 * Sending and checking one-time codes for the hosted flows, with the throttles around both:
 * sends are limited per target and per network, entries per network and per code. Every refusal
 * is generic: nothing says whether an address has an account.
 */
export class CodeDelivery {
  readonly #db: Kysely<Database>;
  readonly #codes: OneTimeCodes;
  readonly #messenger: Messenger;
  readonly #throttle: LoginThrottle;
  readonly #brand: MessageBrand;
  readonly #sendsPerTarget: number;
  readonly #audit: AuditLog;

  constructor(deps: { db: Kysely<Database>; codes: OneTimeCodes; messenger: Messenger; throttle: LoginThrottle; brand: MessageBrand; sendsPerTarget: number; audit: AuditLog }) {
    this.#audit = deps.audit;
    this.#db = deps.db;
    this.#codes = deps.codes;
    this.#messenger = deps.messenger;
    this.#throttle = deps.throttle;
    this.#brand = deps.brand;
    this.#sendsPerTarget = deps.sendsPerTarget;
  }

  /** Issues the code and queues its message in one transaction, after the send throttles allow it. */
  async send(request: CodeRequest): Promise<void> {
    const keys: ThrottleKey[] = [this.#throttle.ipKey(request.ip), this.#throttle.keyFor(`send-${request.channel}`, request.target, this.#sendsPerTarget)];
    const decision = await this.#throttle.attempt(keys);
    if (!decision.allowed) throw tooManyAttempts(decision.retryAfterSeconds);
    await this.#db.transaction().execute((trx) => this.sendWithin(trx, request));
  }

  /** The per-address send limit alone (codes a trusted caller asks for, such as customer service), shared with the hosted flows. */
  async allowSend(channel: 'email' | 'sms', target: string): Promise<void> {
    const decision = await this.#throttle.attempt([this.#throttle.keyFor(`send-${channel}`, target, this.#sendsPerTarget)]);
    if (!decision.allowed) throw tooManyAttempts(decision.retryAfterSeconds);
  }

  /** For trusted callers (the management API): no throttle, its own transaction. */
  sendTrusted(request: Omit<CodeRequest, 'ip'>): Promise<void> {
    return this.#db.transaction().execute((trx) => this.sendWithin(trx, request));
  }

  /**
   * Issues the code and queues its message inside the caller's transaction, without the send
   * throttles: for messages the system sends on its own (an address changed through the API).
   */
  async sendWithin(trx: Transaction<Database>, request: Omit<CodeRequest, 'ip'>): Promise<void> {
    const issued = await this.#codes.issue(trx, {
      purpose: request.purpose,
      flowId: request.flowId,
      customerId: request.customerId,
      target: request.target,
      payload: request.payload,
    });
    if (request.kind === undefined) return;
    await this.#messenger.sendCode(trx, request.channel, {
      kind: request.kind,
      locale: request.locale,
      brand: request.brand ? { ...this.#brand, name: request.brand.name, sender: request.brand.sender, overrides: request.brand.templates } : this.#brand,
      to: request.target,
      code: issued.code,
      ...(request.link ? { link: request.link(issued.linkToken) } : {}),
      minutes: this.#codes.ttlMinutes,
    });
  }

  /**
   * Checks a typed code. The entry counts against the network, and against the address or phone
   * the code went to (so fresh codes and fresh networks do not add up to unlimited guesses on one
   * account: NIST 800-63B 5.2.2), before the comparison; success gives both back.
   */
  async check(flowId: string, purpose: CodePurpose, code: string, ip: string): Promise<OneTimeCodesTable> {
    const network = this.#throttle.ipKey(ip);
    const live = await this.#codes.live(flowId, purpose);
    const target = live ? this.#throttle.keyFor('code-entry', live.target, CODE_ENTRY_FREE_FAILURES) : undefined;
    const decision = await this.#throttle.attempt(target ? [network, target] : [network]);
    if (!decision.allowed) throw tooManyAttempts(decision.retryAfterSeconds);
    const result = await this.#codes.check(flowId, purpose, code.replace(/\s/g, ''));
    if (result.ok) {
      await this.#throttle.succeeded(target, network);
      return result.row;
    }
    const subject = live?.customer_id ? { subject: { type: 'customer', id: live.customer_id } } : {};
    await this.#audit.record({ action: result.reason === 'wrong_code' ? 'code.rejected' : 'code.refused', actor: { type: 'customer', id: null }, ...subject, details: { purpose, reason: result.reason } });
    if (result.reason === 'wrong_code') throw new DomainError('invalid_code', 400, 'Wrong code', { attempts_left: result.left });
    if (result.reason === 'exhausted') throw new DomainError('code_exhausted', 429, 'Too many wrong codes; ask for a new one', { retry_after: 0 });
    throw new DomainError('code_expired', 400, 'The code has expired or was already used; ask for a new one');
  }

  /** Redeems a link token; `flowId` undefined accepts the link from any browser (e-mail verification). */
  async redeemLink(flowId: string | undefined, purpose: CodePurpose, token: string): Promise<OneTimeCodesTable> {
    const row = await this.#codes.redeemLink(purpose, flowId, token);
    if (!row) throw new DomainError('link_expired', 400, 'The link has expired or was already used');
    return row;
  }

  live(flowId: string, purpose: CodePurpose) {
    return this.#codes.live(flowId, purpose);
  }
}
