import type { FastifyInstance } from 'fastify';
import { DomainError } from '../errors/domain-error.ts';
import { sendPage } from '../http/page-reply.ts';
import type { MessageKey } from '../i18n/en.ts';
import { profileDuePage } from '../pages/profile-due.page.ts';
import { attributeChangesFromForm, typedAttributeValues } from '../profile/attribute-form.ts';
import { checkValues, type CustomerAttributes } from '../profile/customer-attributes.ts';
import type { AttributeDefinition, ProfileSchema } from '../profile/profile-schema.ts';
import type { InteractionFlowStore } from '../oidc/interaction-flows.ts';
import type { PageSteps, StepInput } from '../http/page-step.ts';
import type { SignInContinuation } from '../http/sign-in-continuation.ts';

/**
 * `/login/:uid/profile` (step `profile_due`): progressive profiling. The attributes the client asks
 * for (or asked at sign-up) that the customer never gave, on one screen, each checked against its
 * type; then the sign-in goes on. "Not now" goes on without them (the claims are simply absent).
 */
export function profileDueRoutes(app: FastifyInstance, deps: { steps: PageSteps; flows: InteractionFlowStore; continuation: SignInContinuation; schema: ProfileSchema; attributes: CustomerAttributes }): void {
  const { steps, flows } = deps;
  const accepts = { states: ['profile_due'] as const, otherwise: 'Nothing to fill in at this sign-in' };

  async function asked(keys: string[]): Promise<AttributeDefinition[]> {
    const schema = await deps.schema.list();
    return keys.map((key) => schema.find((attribute) => attribute.key === key)).filter((attribute): attribute is AttributeDefinition => attribute !== undefined);
  }

  const show = (input: Omit<StepInput<'profile_due', unknown>, 'form' | 'flow'>, attributes: AttributeDefinition[], status = 200, error?: string, values?: Record<string, string>) =>
    sendPage(input.reply, status, profileDuePage(input.loaded.page, { uid: input.loaded.uid, csrf: input.csrfToken(), clientName: input.loaded.clientName, attributes, ...(error ? { error } : {}), ...(values ? { values } : {}) }));

  steps.mount(app, { method: 'GET', path: '/profile', accepts, handle: async (input) => show(input, await asked(input.flow.keys)) });

  steps.mount(app, {
    method: 'POST',
    path: '/profile',
    accepts,
    handle: async (input) => {
      const { request, reply, loaded, flow } = input;
      const attributes = await asked(flow.keys);
      const body = (request.body ?? {}) as Record<string, unknown>;
      if (body.skip !== '1') {
        const typed = typedAttributeValues(body);
        const changes = attributeChangesFromForm(attributes, body);
        try {
          checkValues(new Map(attributes.map((attribute) => [attribute.key, attribute])), changes);
        } catch (error) {
          if (!(error instanceof DomainError)) throw error;
          return show(input, attributes, 400, loaded.page.t('profile.due.invalid' as MessageKey), typed);
        }
        await deps.attributes.set(flow.customerId, changes, { type: 'customer', id: flow.customerId });
      }
      if (!(await flows.advance(loaded.uid, 'profile_due', null))) throw new DomainError('wrong_step', 400, 'This step was already completed');
      return deps.continuation.continue(request, reply, loaded, { customerId: flow.customerId, amr: flow.amr }, 'profile_due');
    },
  });
}
