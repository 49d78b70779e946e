export interface DevMessage {
  id: string;
  channel: 'email' | 'sms';
  to: string;
  subject: string | null;
  body: string;
}

/**
 * Waits until `count` messages to `to` sit in the server's dev outbox (the outbox worker delivers
 * asynchronously), and answers the newest.
 */
export async function waitForMessage(issuer: string, to: string, count = 1, timeoutMs = 10_000): Promise<DevMessage> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(`${issuer}/dev/outbox?to=${encodeURIComponent(to)}`);
    const { messages } = (await response.json()) as { messages: DevMessage[] };
    if (messages.length >= count) return messages[0]!;
    if (Date.now() > deadline) throw new Error(`no message #${count} to ${to} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function codeIn(text: string): string {
  const match = /\b(\d{6})\b/.exec(text);
  if (!match) throw new Error('no 6-digit code in the message');
  return match[1]!;
}

export function linkIn(text: string): string {
  const match = /(https?:\/\/\S+token=[A-Za-z0-9_-]+)/.exec(text);
  if (!match) throw new Error('no link in the message');
  return match[1]!;
}
