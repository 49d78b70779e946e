import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';

/** The secret the SMS gateway stand-in checks the webhook sender's signatures with. */
export const SMS_GATEWAY_SECRET = 'sms-webhook-secret-0123456789abcdef';

export interface Texted {
  to: string;
  body: string;
  signatureValid: boolean;
}

/** An SMS gateway stand-in: receives the generic webhook sender's POSTs and checks their signature. Portvakt runs with `smsGatewayEnv(url)`. */
export async function startGateway(): Promise<{ server: Server; url: string; texts: Texted[] }> {
  const texts: Texted[] = [];
  const server = createServer((request, response) => {
    let raw = '';
    request.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
    request.on('end', () => {
      const id = String(request.headers['webhook-id']);
      const timestamp = String(request.headers['webhook-timestamp']);
      const expected = `v1,${createHmac('sha256', Buffer.from(SMS_GATEWAY_SECRET, 'utf8')).update(`${id}.${timestamp}.${raw}`).digest('base64')}`;
      const message = JSON.parse(raw) as { to: string; body: string };
      texts.push({ to: message.to, body: message.body, signatureValid: String(request.headers['webhook-signature']).split(' ').includes(expected) });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/sms`, texts };
}

/** Portvakt's settings for sending SMS through the stand-in at `url`. */
export const smsGatewayEnv = (url: string) => ({ SMS_PROVIDER: 'webhook', SMS_WEBHOOK_URL: url, SMS_WEBHOOK_SECRET: SMS_GATEWAY_SECRET });
