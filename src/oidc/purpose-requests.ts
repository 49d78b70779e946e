import { errors, interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import { appliesTo, type ConsentLedger } from '../consent/consent-ledger.ts';
import type { ConsentPurposes } from '../consent/consent-purposes.ts';
import { purposeKey } from '../consent/consent.schemas.ts';

/** The consent prompt's reason when the client asked for purposes the customer has not granted. */
export const PURPOSES_REQUESTED = 'purposes_requested';
/** Set in an interaction result once the customer has decided on the purposes of this request. */
export const PURPOSES_ASKED = 'purposes_asked';
const MAX_REQUESTED = 20;

/** The purpose keys of a `purposes` authorization parameter (space-separated, like `scope`). */
export function requestedPurposes(value: unknown): string[] {
  return typeof value === 'string' ? [...new Set(value.split(' ').filter(Boolean))] : [];
}

/** The brand a client belongs to (client metadata `brand`), or null for the group. */
export function clientBrand(client: object | undefined): string | null {
  const brand = (client as { brand?: unknown } | undefined)?.brand;
  return typeof brand === 'string' ? brand : null;
}

/**
 * `purposes=partner_sharing profiling` in an authorization request: a client (a partner service,
 * say) asks the customer for consent purposes it needs. Each must exist and belong to the group or
 * to the client's brand; anything else is `invalid_request` before any page is shown. The customer
 * decides on those not granted yet, at the sign-in or on the consent screen, once per request.
 */
export class PurposeRequests {
  readonly #purposes: ConsentPurposes;
  readonly #ledger: ConsentLedger;

  constructor(purposes: ConsentPurposes, ledger: ConsentLedger) {
    this.#purposes = purposes;
    this.#ledger = ledger;
  }

  /** The `extraParams` validator of the `purposes` parameter. */
  readonly validate = async (_ctx: KoaContextWithOIDC, value: string | undefined, client: object | undefined): Promise<void> => {
    if (value === undefined) return;
    const keys = requestedPurposes(value);
    if (keys.length === 0 || keys.length > MAX_REQUESTED) throw new errors.InvalidRequest(`purposes must name 1 to ${MAX_REQUESTED} consent purposes`);
    const known = new Map((await this.#purposes.list()).map((purpose) => [purpose.key, purpose]));
    for (const key of keys) {
      const purpose = purposeKey.safeParse(key).success ? known.get(key) : undefined;
      if (!purpose || !appliesTo(purpose, clientBrand(client))) throw new errors.InvalidRequest(`purposes: ${key.slice(0, 64)} is not a consent purpose this client may ask for`);
    }
  };

  /** The consent-prompt check: requested purposes not granted, unless decided on in this very request. */
  check(): InstanceType<typeof interactionPolicy.Check> {
    return new interactionPolicy.Check(
      PURPOSES_REQUESTED,
      'the client asks for consent purposes the customer has not granted',
      'consent_required',
      async (ctx: KoaContextWithOIDC) => {
        const accountId = ctx.oidc.session?.accountId;
        if (!accountId || (ctx.oidc.result as Record<string, unknown> | undefined)?.[PURPOSES_ASKED] === true) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
        const missing = await this.#ledger.notGranted(accountId, requestedPurposes(ctx.oidc.params?.purposes));
        return missing.length > 0 ? interactionPolicy.Check.REQUEST_PROMPT : interactionPolicy.Check.NO_NEED_TO_PROMPT;
      },
      async (ctx: KoaContextWithOIDC) => ({
        missingPurposes: await this.#ledger.notGranted(String(ctx.oidc.session?.accountId), requestedPurposes(ctx.oidc.params?.purposes)),
      }),
    );
  }
}
