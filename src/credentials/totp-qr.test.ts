import { describe, expect, it } from 'vitest';
import { totpQrSvg } from './totp-qr.ts';
import { generateTotpSecret, totpUri } from './totp.ts';

describe('TOTP QR code', () => {
  it('renders an SVG without scripts', async () => {
    const uri = totpUri({ secret: generateTotpSecret(), accountName: 'alice@example.com', issuer: 'Portvakt' });
    const svg = await totpQrSvg(uri);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg.toLowerCase()).not.toContain('<script');
    expect(svg).not.toMatch(/\son[a-z]+\s*=/i);
  });
});
