import { DeliveryError } from '../delivery-error.ts';

export const DEFAULT_TIMEOUT_MS = 10_000;

export interface ProviderRequest {
  /** Names the provider in errors. */
  provider: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}

/**
 * POSTs one request to an SMS provider and returns its parsed JSON answer (undefined when the
 * accepted answer has no readable JSON: the message went out, so that is no reason to retry).
 * Any other outcome throws a DeliveryError naming the provider and status only; neither the
 * request body nor the provider's answer text goes into it.
 */
export async function postToProvider(request: ProviderRequest): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(request.timeoutMs),
    });
  } catch (error) {
    throw DeliveryError.forNoAnswer(request.provider, error, request.timeoutMs);
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    throw DeliveryError.forHttpStatus(request.provider, response.status);
  }
  try {
    return await response.json();
  } catch {
    return undefined;
  }
}

/** `Authorization` value for HTTP Basic authentication. */
export function basicAuthorization(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}

/** Joins a base URL (trailing slashes ignored, a path prefix kept) and an absolute path. */
export function joinUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, '')}${path}`;
}

/** A string property of a JSON answer, or undefined. */
export function stringField(json: unknown, key: string): string | undefined {
  if (typeof json !== 'object' || json === null) return undefined;
  const value: unknown = (json as Record<string, unknown>)[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}
