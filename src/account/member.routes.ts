import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { Brands } from '../brands/brands.ts';
import type { ClientStore } from '../clients/client-store.ts';
import { qrCodeSvg } from '../credentials/totp-qr.ts';
import { DomainError } from '../errors/domain-error.ts';
import type { AccountSteps } from '../http/account-step.ts';
import { sendPage } from '../http/page-reply.ts';
import type { IssuedCode, MemberCodes } from '../in-store/member-codes.ts';
import type { ProviderHost } from '../oidc/provider-host.ts';
import { accountMemberPage } from '../pages/account-member.page.ts';

/** The scope an app's access token needs to fetch member codes. */
export const MEMBER_CODE_SCOPE = 'member_code';
const brandQuery = z.object({ brand: z.string().regex(/^([a-z][a-z0-9_-]{1,63})?$/).default('') });

/** A code as the page and the app show it: the QR (an SVG data URL), the digits in groups of four, and the seconds it lasts. */
async function shown(issued: IssuedCode, now = Date.now()) {
  return {
    code: issued.code,
    display: issued.code.replace(/(\d{4})(?=\d)/g, '$1 '),
    qr: `data:image/svg+xml;base64,${Buffer.from(await qrCodeSvg(issued.code)).toString('base64')}`,
    expires_in: Math.round((issued.expiresAt - now) / 1000),
    refresh_in: Math.round((issued.refreshAt - now) / 1000),
  };
}

const noStore = (reply: FastifyReply) => reply.header('cache-control', 'no-store');

/**
 * The member code: `/account/member` (the page, a brand chosen among the group's), its script's
 * `/account/member/code`, and `POST /app/member-code` for the group's apps (a bearer access token
 * with the scope `member_code`; the code is for the brand of the app's client).
 */
export function memberCodeRoutes(app: FastifyInstance, deps: { accountSteps: AccountSteps; codes: MemberCodes; brands: Brands; host: ProviderHost; clientStore: ClientStore }): void {
  const { accountSteps, codes } = deps;
  /** The brand asked for, if it is one of the group's ('' is the group's own stores). */
  const brandOf = async (query: unknown) => {
    const { brand } = brandQuery.parse(query ?? {});
    if (brand !== '' && !(await deps.brands.find(brand))) throw new DomainError('unknown_brand', 400, `There is no brand ${brand}`);
    return brand;
  };

  accountSteps.mount(app, {
    method: 'GET',
    path: '/account/member',
    back: '/account/member',
    handle: async ({ request, reply, session, page }) => {
      const brands = [{ key: '', name: page.t('member.group') }, ...(await deps.brands.list()).map((brand) => ({ key: brand.key, name: brand.name }))];
      const brand = await brandOf(request.query);
      const code = await shown(await codes.issue(session.accountId, brand));
      noStore(reply);
      return sendPage(reply, 200, accountMemberPage(page, { brands, brand, code: { qr: code.qr, display: code.display, expiresIn: code.expires_in, refreshIn: code.refresh_in } }));
    },
  });

  accountSteps.mount(app, {
    method: 'GET',
    path: '/account/member/code',
    script: 'Sign in again to show your member code',
    handle: async ({ request, reply, session }) => {
      const code = await shown(await codes.issue(session.accountId, await brandOf(request.query)));
      return noStore(reply).send(code);
    },
  });

  app.post('/app/member-code', async (request, reply) => {
    const presented = /^Bearer ([A-Za-z0-9_-]{20,200})$/.exec(request.headers.authorization ?? '')?.[1];
    const token = presented ? await deps.host.current.AccessToken.find(presented).catch(() => undefined) : undefined;
    reply.header('www-authenticate', `Bearer scope="${MEMBER_CODE_SCOPE}"`);
    if (!token || token.isExpired || !token.accountId) throw new DomainError('invalid_token', 401, 'A valid access token is required');
    // A token bound to a key (DPoP) is good only with its proof, which this endpoint does not take.
    if (token.jkt || token['x5t#S256']) throw new DomainError('invalid_token', 401, 'A sender-constrained token needs its proof; use a bearer token for this endpoint');
    if (!String(token.scope ?? '').split(' ').includes(MEMBER_CODE_SCOPE)) throw new DomainError('insufficient_scope', 403, `The token lacks the scope ${MEMBER_CODE_SCOPE}`);
    const client = token.clientId ? await deps.clientStore.findCached(token.clientId) : undefined;
    const code = await shown(await codes.issue(token.accountId, client?.metadata.brand ?? ''));
    return noStore(reply).send(code);
  });
}
