import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../errors/domain-error.ts';
import type { CsrfGuard } from '../http/csrf.ts';
import { sendPage } from '../http/page-reply.ts';
import type { MessageKey } from '../i18n/en.ts';
import { profileDuePage } from '../pages/profile-due.page.ts';
import { checkValues, type CustomerAttributes } from '../profile/customer-attributes.ts';
import type { AttributeDefinition, ProfileSchema } from '../profile/profile-schema.ts';
import { formValue, type InteractionContext, type LoadedInteraction } from '../http/interaction-context.ts';
import type { InteractionFlowStore } from '../oidc/interaction-flows.ts';
import type { SecondFactorSteps } from './second-factor.routes.ts';

const FIELD = /^attr\.([a-z][a-z0-9_]{1,63})(?:\.(street_address|postal_code|locality|country))?$/;

/**
 * `/login/:uid/profile`: progressive profiling. The attributes the client asks for (or asked at
 * sign-up) that the customer never gave, on one screen, each checked against its type; then the
 * sign-in completes. "Not now" completes it without them (the claims are simply absent).
 */
export function profileDueRoutes(app: FastifyInstance, deps: { interactions: InteractionContext; flows: InteractionFlowStore; steps: SecondFactorSteps; schema: ProfileSchema; attributes: CustomerAttributes; csrf: CsrfGuard }): void {
  const { interactions, flows, csrf } = deps;

  async function due(loaded: LoadedInteraction) {
    const flow = await flows.get(loaded.uid);
    if (flow?.state !== 'profile_due') throw new DomainError('wrong_step', 400, 'Nothing to fill in at this sign-in');
    const schema = await deps.schema.list();
    const attributes = flow.keys.map((key) => schema.find((attribute) => attribute.key === key)).filter((attribute): attribute is AttributeDefinition => attribute !== undefined);
    return { flow, attributes };
  }

  const show = (request: FastifyRequest, reply: FastifyReply, loaded: LoadedInteraction, attributes: AttributeDefinition[], status = 200, error?: string, values?: Record<string, string>) =>
    sendPage(reply, status, profileDuePage(loaded.page, { uid: loaded.uid, csrf: csrf.token(request, reply), clientName: loaded.clientName, attributes, ...(error ? { error } : {}), ...(values ? { values } : {}) }));

  app.get('/login/:uid/profile', async (request, reply) => {
    const loaded = await interactions.loadLogin(request, reply);
    const { attributes } = await due(loaded);
    return show(request, reply, loaded, attributes);
  });

  app.post('/login/:uid/profile', async (request, reply) => {
    const loaded = await interactions.loadLogin(request, reply);
    const { flow, attributes } = await due(loaded);
    if (!csrf.verify(request, formValue(request.body, 'csrf'))) throw new DomainError('csrf', 403, 'The form had expired');
    const body = (request.body ?? {}) as Record<string, unknown>;
    if (body.skip !== '1') {
      const typed = typedValues(body);
      const changes = formChanges(attributes, body);
      try {
        checkValues(new Map(attributes.map((attribute) => [attribute.key, attribute])), changes);
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        return show(request, reply, loaded, attributes, 400, loaded.page.t('profile.due.invalid' as MessageKey), typed);
      }
      await deps.attributes.set(flow.customerId, changes, { type: 'customer', id: flow.customerId });
    }
    if (!(await flows.advance(loaded.uid, 'profile_due', null))) throw new DomainError('wrong_step', 400, 'This step was already completed');
    const login = { accountId: flow.customerId, amr: flow.amr, ...(flow.acr ? { acr: flow.acr } : {}), remember: true };
    return deps.steps.complete(request, reply, loaded, { login }, { consents: true, profile: true });
  });
}

/** The form's attribute fields as typed (strings only, bounded), for showing them again. */
function typedValues(body: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(body).filter(([name, value]) => FIELD.test(name) && typeof value === 'string' && value.length <= 300) as Array<[string, string]>);
}

/** Form fields to attribute values: an address from its four parts, a checkbox to a boolean. */
function formChanges(attributes: AttributeDefinition[], body: Record<string, unknown>): Record<string, unknown> {
  const field = (name: string) => (typeof body[name] === 'string' ? (body[name] as string) : undefined);
  return Object.fromEntries(
    attributes.map((attribute) => {
      const name = `attr.${attribute.key}`;
      if (attribute.type === 'address') {
        return [attribute.key, { street_address: field(`${name}.street_address`), postal_code: field(`${name}.postal_code`), locality: field(`${name}.locality`), country: field(`${name}.country`) }];
      }
      if (attribute.type === 'boolean') return [attribute.key, field(name) === 'true'];
      return [attribute.key, field(name)];
    }),
  );
}
