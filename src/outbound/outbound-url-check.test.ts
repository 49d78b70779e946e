import { describe, expect, it } from 'vitest';
import { OutboundGuard } from './outbound-guard.ts';
import { outboundUrlCheck } from './outbound-url-check.ts';

const names: Record<string, string[]> = { 'public.example': ['93.184.215.14'], 'mixed.example': ['93.184.215.14', '10.0.0.5'], 'inside.example': ['fd00::5'], 'doc.example': ['2001:db8::5'] };
const resolve = async (host: string) => {
  const found = names[host];
  if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return found;
};
const codeOf = (promise: Promise<void>) => promise.then(() => 'accepted', (error: { code?: string }) => error.code);

describe('the check of a URL Portvakt will call', () => {
  it('in production wants https and only addresses the guard permits, behind a name too', async () => {
    const check = outboundUrlCheck({ production: true, permits: (address) => new OutboundGuard(false).permits(address), resolve });
    expect(await codeOf(check('https://public.example/hook'))).toBe('accepted');
    expect(await codeOf(check('https://93.184.215.14/hook'))).toBe('accepted');
    expect(await codeOf(check('http://public.example/hook'))).toBe('insecure_url');
    expect(await codeOf(check('https://mixed.example/hook'))).toBe('internal_address');
    expect(await codeOf(check('https://inside.example/hook'))).toBe('internal_address');
    expect(await codeOf(check('https://doc.example/hook'))).toBe('internal_address');
    expect(await codeOf(check('https://[::1]/hook'))).toBe('internal_address');
    expect(await codeOf(check('https://nowhere.example/hook'))).toBe('unresolvable_host');
  });

  it('follows the outbound policy: networks an operator allows are accepted', async () => {
    const check = outboundUrlCheck({ production: true, permits: (address) => new OutboundGuard(['10.0.0.0/8']).permits(address), resolve });
    expect(await codeOf(check('https://mixed.example/hook'))).toBe('accepted');
    expect(await codeOf(check('https://inside.example/hook'))).toBe('internal_address');
  });

  it('checks nothing outside production (the guard still checks each connection)', async () => {
    const check = outboundUrlCheck({ production: false, permits: () => false, resolve });
    expect(await codeOf(check('http://127.0.0.1:9/hook'))).toBe('accepted');
  });
});
