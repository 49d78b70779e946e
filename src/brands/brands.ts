import { sql, type Kysely, type Transaction } from 'kysely';
import type { BrandTemplates } from '../messaging/templates/brand-templates.ts';
import { isoTime, type CustomerDataOwner, type ForgottenCustomer, type TableDeclaration } from '../customers/customer-data.ts';
import { conflict, notFound } from '../errors/domain-error.ts';
import { OPERATOR, type AuditLog } from '../events/audit-log.ts';
import { ReadCache, type ChangeNotices } from '../store/change-notices.ts';
import type { BrandsTable, Database } from '../store/schema.ts';

export interface Brand {
  key: string;
  name: string;
  accentColor: string;
  hasLogo: boolean;
  sender: string | null;
  /** The company responsible for its customers' data, or null: the group's (CONTROLLER_NAME). */
  controller: string | null;
  /** Its privacy notice, or null: the group's (PRIVACY_NOTICE_URL). */
  privacyNoticeUrl: string | null;
  /** Its own wording of its messages' texts; what it does not word is the group's. */
  templates: BrandTemplates;
  version: number;
  createdAt: number;
  updatedAt: number;
}

/** Who answers for a customer's data at a client (GDPR Art. 13(1)(a)), and the chains one account works at. */
export interface Responsibility {
  controller: string | null;
  privacyNoticeUrl: string | null;
  /** Every brand's name, in key order: the group's chains. */
  chains: string[];
}

export interface BrandInput {
  name: string;
  accent_color: string;
  logo?: { type: 'image/png' | 'image/svg+xml'; base64: string } | null | undefined;
  sender?: string | null | undefined;
  controller?: string | null | undefined;
  privacy_notice_url?: string | null | undefined;
}

/** How long a node keeps a brand before reading it again (pages read it on every view). */
const CACHE_MS = 30_000;

/**
 * The group's brands (retail chains): each has a name, an accent colour, a logo (served from
 * Portvakt itself, so the CSP stays `img-src 'self'`) and a sender. Customers are shared across the
 * group; a client's `brand` decides which theme and notice its sign-in shows.
 */
export class Brands implements CustomerDataOwner {
  readonly declarations: readonly TableDeclaration[] = [
    {
      table: 'customer_brands',
      columns: { customer_id: 'brand_visits', brand: 'brand_visits', first_at: 'plain' },
      erasure: { rule: 'delete' },
      export: { rule: 'included', section: 'brand_visits', reason: 'each brand (chain) by its key and name, the group\'s own sign-in as an empty key, and the first sign-in there' },
    },
  ];
  readonly #db: Kysely<Database>;
  readonly #visitListeners: Array<(customerId: string, now: number) => Promise<void>> = [];
  readonly #audit: AuditLog;
  readonly #cache: ReadCache<Brand>;
  /** The group's controller and privacy notice (CONTROLLER_NAME, PRIVACY_NOTICE_URL), where a brand names none. */
  readonly #group: { controller: string | null; privacyNoticeUrl: string | null };

  constructor(db: Kysely<Database>, audit: AuditLog, notices: ChangeNotices, group: { controller: string | null; privacyNoticeUrl: string | null } = { controller: null, privacyNoticeUrl: null }) {
    this.#db = db;
    this.#audit = audit;
    this.#cache = new ReadCache('brand', notices, CACHE_MS);
    this.#group = group;
  }

  async put(key: string, input: BrandInput, now = Date.now()): Promise<Brand> {
    await this.#db.transaction().execute(async (trx) => {
      const current = await trx.selectFrom('brands').select(['version', 'logo_type', 'logo']).where('key', '=', key).executeTakeFirst();
      const logo = input.logo === undefined ? { logo_type: current?.logo_type ?? null, logo: current?.logo ?? null } : { logo_type: input.logo?.type ?? null, logo: input.logo?.base64 ?? null };
      const values = { name: input.name, accent_color: input.accent_color.toLowerCase(), ...logo, sender: input.sender ?? null, controller: input.controller ?? null, privacy_notice_url: input.privacy_notice_url ?? null, version: (current?.version ?? 0) + 1, updated_at: now };
      // Two changes at once: one wins, the other is told (409) instead of being lost or failing.
      const written = current
        ? await trx.updateTable('brands').set(values).where('key', '=', key).where('version', '=', current.version).executeTakeFirst().then((result) => Number(result.numUpdatedRows))
        : await trx.insertInto('brands').values({ key, ...values, created_at: now }).onConflict((conflict) => conflict.column('key').doNothing()).executeTakeFirst().then((result) => Number(result.numInsertedOrUpdatedRows ?? 0));
      if (written !== 1) throw conflict('concurrent_update', 'The brand changed meanwhile; read it again');
      await this.#audit.append(trx, { action: current ? 'brand.updated' : 'brand.created', actor: OPERATOR, subject: { type: 'brand', id: key } }, now);
    });
    this.#cache.changed(key);
    return this.get(key);
  }

  /** The brand's own wording of its messages (checked by the route: brand-templates.ts); `{}` returns to the group's. */
  async setTemplates(key: string, templates: BrandTemplates, now = Date.now()): Promise<Brand> {
    await this.#db.transaction().execute(async (trx) => {
      const stored = Object.keys(templates).length > 0 ? JSON.stringify(templates) : null;
      const result = await trx.updateTable('brands').set({ message_templates: stored, version: sql<number>`version + 1`, updated_at: now }).where('key', '=', key).executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) throw notFound('brand');
      await this.#audit.append(trx, { action: 'brand.templates_set', actor: OPERATOR, subject: { type: 'brand', id: key }, details: { locales: Object.keys(templates).sort() } }, now);
    });
    this.#cache.changed(key);
    return this.get(key);
  }

  async list(): Promise<Brand[]> {
    return (await this.#db.selectFrom('brands').selectAll().orderBy('key').execute()).map(present);
  }

  async get(key: string): Promise<Brand> {
    const row = await this.#db.selectFrom('brands').selectAll().where('key', '=', key).executeTakeFirst();
    if (!row) throw notFound('brand');
    return present(row);
  }

  /** The brand of a page, cached briefly; undefined for the group or an unknown key. */
  async find(key: string | null): Promise<Brand | undefined> {
    if (!key) return undefined;
    return this.#cache.get(key, async () => {
      const row = await this.#db.selectFrom('brands').selectAll().where('key', '=', key).executeTakeFirst();
      return row ? present(row) : undefined;
    });
  }

  /**
   * What a sign-up or consent page at a client of this brand (null: of no brand) says of who is
   * responsible: the brand's controller and notice, else the group's; and every chain of the group.
   */
  async responsibilityAt(key: string | null): Promise<Responsibility> {
    const [brand, chains] = await Promise.all([this.find(key), this.#db.selectFrom('brands').select('name').orderBy('key').execute()]);
    return {
      controller: brand?.controller ?? this.#group.controller,
      privacyNoticeUrl: brand?.privacyNoticeUrl ?? this.#group.privacyNoticeUrl,
      chains: chains.map((row) => row.name),
    };
  }

  async logo(key: string): Promise<{ type: string; bytes: Buffer } | undefined> {
    const row = await this.#db.selectFrom('brands').select(['logo_type', 'logo']).where('key', '=', key).executeTakeFirst();
    return row?.logo && row.logo_type ? { type: row.logo_type, bytes: Buffer.from(row.logo, 'base64') } : undefined;
  }

  async remove(key: string, now = Date.now()): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      const result = await trx.deleteFrom('brands').where('key', '=', key).executeTakeFirst();
      if (Number(result.numDeletedRows) !== 1) throw notFound('brand');
      await this.#audit.append(trx, { action: 'brand.removed', actor: OPERATOR, subject: { type: 'brand', id: key } }, now);
    });
    this.#cache.changed(key);
  }

  /**
   * The first sign-in at a brand: a customer who used the group account elsewhere before is told
   * once that the same account works here. Answers the brand's name when the notice is due.
   */
  async noticeDue(customerId: string, key: string | null): Promise<string | undefined> {
    const brand = await this.find(key);
    if (!brand) return undefined;
    const visits = await this.#visits(customerId);
    return noticeFor(brand, visits);
  }

  /**
   * A sign-in arrives at a client of this brand (or the group): the brand's name when the notice is
   * due (the visit is recorded once the customer has seen it); otherwise the visit is recorded, with
   * one read and no write when it already was (the usual case, on the sign-in path).
   */
  async arrive(customerId: string, key: string | null, now = Date.now()): Promise<string | undefined> {
    const [brand, visits] = await Promise.all([this.find(key), this.#visits(customerId)]);
    const notice = brand ? noticeFor(brand, visits) : undefined;
    if (notice === undefined && !visits.includes(key ?? '')) await this.visited(customerId, key, now);
    return notice;
  }

  async #visits(customerId: string): Promise<string[]> {
    return (await this.#db.selectFrom('customer_brands').select('brand').where('customer_id', '=', customerId).execute()).map((visit) => visit.brand);
  }

  /** Records that the customer signed in at this brand (or the group), once; a first visit is told to the listeners (segments on brands follow). */
  async visited(customerId: string, key: string | null, now = Date.now()): Promise<void> {
    const first = await this.#db
      .insertInto('customer_brands')
      .values({ customer_id: customerId, brand: key ?? '', first_at: now })
      .onConflict((conflict) => conflict.columns(['customer_id', 'brand']).doNothing())
      .returning('brand')
      .execute();
    if (first.length > 0) for (const listener of this.#visitListeners) await listener(customerId, now);
  }

  onFirstVisit(listener: (customerId: string, now: number) => Promise<void>): void {
    this.#visitListeners.push(listener);
  }

  /** The brands the customer has signed in at, with their names ('' is the group's own sign-in, at a client of no brand). */
  async exportOf(customer: ForgottenCustomer, db: Kysely<Database>): Promise<Record<string, unknown[]>> {
    const rows = await db
      .selectFrom('customer_brands as v')
      .leftJoin('brands as b', 'b.key', 'v.brand')
      .select(['v.brand', 'b.name', 'v.first_at'])
      .where('v.customer_id', '=', customer.id)
      .orderBy('v.first_at')
      .orderBy('v.brand')
      .execute();
    return { brand_visits: rows.map((row) => ({ brand: row.brand, name: row.name, first_at: isoTime(row.first_at) })) };
  }

  /** The brands the customer has signed in at. */
  async forget(customer: ForgottenCustomer, trx: Transaction<Database>): Promise<void> {
    await trx.deleteFrom('customer_brands').where('customer_id', '=', customer.id).execute();
  }
}

/** Due when the customer used the group account somewhere, but never at this brand. */
function noticeFor(brand: Brand, visits: string[]): string | undefined {
  return visits.length > 0 && !visits.includes(brand.key) ? brand.name : undefined;
}

/** The brand's colours as CSS custom properties over the base stylesheet. */
export function brandStylesheet(brand: Brand): string {
  return `:root { --accent: ${brand.accentColor}; --accent-dark: ${darker(brand.accentColor)}; }\n`;
}

function darker(hex: string): string {
  const value = Number.parseInt(hex.slice(1), 16);
  const channel = (shift: number) => Math.round(((value >> shift) & 0xff) * 0.78);
  return `#${[16, 8, 0].map((shift) => channel(shift).toString(16).padStart(2, '0')).join('')}`;
}

function present(row: BrandsTable): Brand {
  return { key: row.key, name: row.name, accentColor: row.accent_color, hasLogo: row.logo !== null, sender: row.sender, controller: row.controller, privacyNoticeUrl: row.privacy_notice_url, templates: row.message_templates ? (JSON.parse(row.message_templates) as BrandTemplates) : {}, version: row.version, createdAt: Number(row.created_at), updatedAt: Number(row.updated_at) };
}
