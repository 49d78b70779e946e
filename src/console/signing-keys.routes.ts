import type { FastifyInstance } from 'fastify';
import { seeOther, sendPage } from '../http/page-reply.ts';
import { signingKeysPage, type SigningKeyRow } from '../pages/console/signing-keys.page.ts';
import type { ConsoleSteps } from './console-steps.ts';

/** `/console/signing-keys`: the keys tokens are signed with (never their material), and rotation (sensitive: a fresh sign-in first). */
export function consoleSigningKeyRoutes(app: FastifyInstance, steps: ConsoleSteps): void {
  steps.mount(app, {
    method: 'GET',
    path: '/console/signing-keys',
    operation: ['GET', '/signing-keys'],
    handle: async (input) => {
      const keys = (await input.run<{ signing_keys: SigningKeyRow[] }>('GET', '/signing-keys')).signing_keys;
      const rotated = (input.request.query as Record<string, unknown> | undefined)?.done === 'rotated';
      return sendPage(input.reply, 200, signingKeysPage(input.page, { csrf: input.csrfToken, keys, canRotate: input.allows('POST', '/signing-keys/rotate'), ...(rotated ? { notice: input.page.t('admin.keys.done.rotated') } : {}) }));
    },
  });
  steps.mount(app, {
    method: 'POST',
    path: '/console/signing-keys/rotate',
    operation: ['POST', '/signing-keys/rotate'],
    handle: async (input) => {
      await input.run('POST', '/signing-keys/rotate');
      return seeOther(input.reply, '/console/signing-keys?done=rotated');
    },
  });
}
