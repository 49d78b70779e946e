import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ApiRegistry } from '../http/api-route.ts';
import { nameText, text } from '../validation/text.ts';
import { CONSOLE_ROLES, type OperatorAccount } from './operator-accounts.ts';
import type { OperatorAdministration } from './operator-administration.ts';
import { ROLES } from './operator-roles.ts';

const roles = z.array(z.enum(CONSOLE_ROLES)).min(1).max(3).refine((list) => new Set(list).size === list.length, 'each role once');
export const operatorInvite = z.strictObject({
  email: text().trim().toLowerCase().pipe(z.email()).describe('Where the invitation goes; the operator signs in with it'),
  name: nameText().trim().min(1).max(100),
  roles: roles.describe('admin, agent (customer service), privacy_officer; integration is for API keys only'),
});
export const operatorChange = z.strictObject({
  name: nameText().trim().min(1).max(100).optional(),
  roles: roles.optional(),
  status: z.enum(['active', 'disabled']).optional(),
});
const operatorOutput = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  roles: z.array(z.enum(ROLES)),
  status: z.enum(['invited', 'active', 'disabled']),
  created_at: z.number().int(),
  last_sign_in_at: z.number().int().nullable(),
});
const invitationOutput = z.object({ operator: operatorOutput, invitation_url: z.string().describe('Single-use, 24 hours; also sent by e-mail. Shown this once') });
export const operatorIdParams = z.strictObject({ id: z.uuid() });
export const operatorListQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(50), after: z.uuid().optional() });

export const presentOperatorAccount = (operator: OperatorAccount) => ({
  id: operator.id,
  email: operator.email,
  name: operator.name,
  roles: operator.roles,
  status: operator.status,
  created_at: Math.floor(operator.createdAt / 1000),
  last_sign_in_at: operator.lastSignInAt === null ? null : Math.floor(operator.lastSignInAt / 1000),
});

/** `/operators`: the people with console accounts; inviting and changing roles need a fresh sign-in in the console. */
export function operatorRoutes(app: FastifyInstance, api: ApiRegistry, operators: OperatorAdministration): void {
  api.add(app, {
    method: 'GET',
    url: '/operators',
    tag: 'operators',
    roles: ['admin'],
    summary: 'Operators by id, with a cursor (`after` = the last id of the page before)',
    query: operatorListQuery,
    status: 200,
    response: z.object({ operators: z.array(operatorOutput), next: z.string().nullable() }),
    handler: async ({ query }) => {
      const page = await operators.list(query.limit + 1, query.after);
      const shown = page.slice(0, query.limit);
      return { operators: shown.map(presentOperatorAccount), next: page.length > query.limit ? shown.at(-1)!.id : null };
    },
  });
  api.add(app, {
    method: 'POST',
    url: '/operators',
    tag: 'operators',
    roles: ['admin'],
    sensitive: true,
    summary: 'Invite an operator by e-mail with their roles; the single-use link (24 h) is mailed and shown this once',
    body: operatorInvite,
    status: 201,
    response: invitationOutput,
    handler: async ({ body }) => {
      const invitation = await operators.invite(body);
      return { operator: presentOperatorAccount(invitation.operator), invitation_url: invitation.link };
    },
  });
  api.add(app, {
    method: 'POST',
    url: '/operators/:id/invitation',
    tag: 'operators',
    roles: ['admin'],
    sensitive: true,
    summary: 'A new invitation link for an operator who has not taken theirs (earlier links stop working)',
    params: operatorIdParams,
    status: 201,
    response: invitationOutput,
    handler: async ({ params }) => {
      const invitation = await operators.reinvite(params.id);
      return { operator: presentOperatorAccount(invitation.operator), invitation_url: invitation.link };
    },
  });
  api.add(app, {
    method: 'GET',
    url: '/operators/:id',
    tag: 'operators',
    roles: ['admin'],
    summary: 'One operator',
    params: operatorIdParams,
    status: 200,
    response: operatorOutput,
    handler: async ({ params }) => presentOperatorAccount(await operators.get(params.id)),
  });
  api.add(app, {
    method: 'PATCH',
    url: '/operators/:id',
    tag: 'operators',
    roles: ['admin'],
    sensitive: true,
    summary: "Change an operator's name, roles or status (disabled: signed out everywhere). The last active admin stays (409 last_admin)",
    params: operatorIdParams,
    body: operatorChange,
    status: 200,
    response: operatorOutput,
    handler: async ({ params, body }) => presentOperatorAccount(await operators.change(params.id, body)),
  });
}
