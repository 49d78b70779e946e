import type { RunningPortvakt } from './portvakt-server.ts';

/**
 * Reads a privacy request (`GET /privacy-requests/:id`) every 100 ms until `done` holds, and
 * answers it; fails, showing the request as it last was, after `timeoutMs`.
 */
export async function untilRequest<R>(server: Pick<RunningPortvakt, 'api'>, id: string, done: (request: R) => boolean, timeoutMs = 20_000): Promise<R> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const current = (await server.api<R>('GET', `/privacy-requests/${id}`)).body;
    if (done(current)) return current;
    if (Date.now() > deadline) throw new Error(`request never got there: ${JSON.stringify(current, null, 1)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
