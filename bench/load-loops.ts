import { Agent, request } from 'undici';

export interface Timed {
  status: number;
  ms: number;
  retryAfter: string | undefined;
  /** Milliseconds from the loop's start to when the request was sent. */
  at: number;
}

export interface LoadRequest {
  path: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
}

/** One agent for all loops: enough sockets that an open loop never waits for a free one. */
const agent = new Agent({ connections: 512, pipelining: 1, keepAliveTimeout: 30_000 });

async function send(base: string, item: LoadRequest, began: number): Promise<Timed> {
  const at = performance.now() - began;
  const sent = performance.now();
  try {
    const answer = await request(`${base}${item.path}`, { method: item.method ?? 'GET', headers: item.headers, body: item.body, dispatcher: agent });
    await answer.body.dump();
    const retryAfter = answer.headers['retry-after'];
    return { status: answer.statusCode, ms: performance.now() - sent, retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined, at };
  } catch {
    return { status: 0, ms: performance.now() - sent, retryAfter: undefined, at };
  }
}

/**
 * An open loop: `rate` requests per second are sent on schedule whether or not earlier ones were
 * answered, as a campaign's customers do; a slow server does not slow the offered load.
 */
export async function openLoop(base: string, rate: number, seconds: number, next: (i: number) => LoadRequest): Promise<Timed[]> {
  const began = performance.now();
  const pending: Array<Promise<Timed>> = [];
  const total = Math.round(rate * seconds);
  for (let i = 0; i < total; i++) {
    const due = began + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    pending.push(send(base, next(i), began));
  }
  return Promise.all(pending);
}

/** A closed loop: `concurrency` callers, each sending its next request when the last was answered. */
export async function closedLoop(base: string, concurrency: number, seconds: number, next: (i: number) => LoadRequest): Promise<Timed[]> {
  const began = performance.now();
  const until = began + seconds * 1000;
  const results: Timed[] = [];
  let i = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) results.push(await send(base, next(i++), began));
    }),
  );
  return results;
}

/**
 * One caller taking turns between targets, a request each: whatever the machine does meanwhile
 * (a collection, another process, a slower second) falls on every target alike, so their
 * percentiles compare the servers and not the moments they were measured in.
 */
export async function turnTakingLoop(targets: ReadonlyArray<{ base: string; next: () => LoadRequest }>, seconds: number): Promise<Timed[][]> {
  const began = performance.now();
  const until = began + seconds * 1000;
  const results = targets.map((): Timed[] => []);
  for (let i = 0; performance.now() < until; i++) {
    const target = targets[i % targets.length]!;
    results[i % targets.length]!.push(await send(target.base, target.next(), began));
  }
  return results;
}

/** The p-th percentile in milliseconds, to the hundredth (sub-millisecond lookups are compared by ratio). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!, 2);
}

export const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
export const ratio = (part: number, whole: number) => round(part / whole, 2);

export function byStatus(results: Timed[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const result of results) counts[result.status] = (counts[result.status] ?? 0) + 1;
  return counts;
}

/**
 * Reads a whole cursor-paged audience (`{ customers, next }`, e.g. a consent purpose's or a
 * segment's customers), one page of `page` after another, checking that ids strictly increase
 * across pages (nothing repeated, nothing skipped by the cursor).
 */
export async function exportAudience(base: string, path: string, page: number, headers: Record<string, string>): Promise<{ rows: number; pages: number; seconds: number }> {
  const began = performance.now();
  let after: string | null = null;
  let last = '';
  let rows = 0;
  let pages = 0;
  do {
    const url: string = `${base}${path}${path.includes('?') ? '&' : '?'}limit=${page}${after ? `&after=${after}` : ''}`;
    const response = await fetch(url, { headers });
    if (response.status !== 200) throw new Error(`${path} page ${pages} answered ${response.status}: ${await response.text()}`);
    const answer = (await response.json()) as { customers: string[]; next: string | null };
    for (const id of answer.customers) {
      if (id <= last) throw new Error(`customer ${id} came after ${last}`);
      last = id;
    }
    rows += answer.customers.length;
    pages += 1;
    after = answer.next;
  } while (after);
  return { rows, pages, seconds: (performance.now() - began) / 1000 };
}
