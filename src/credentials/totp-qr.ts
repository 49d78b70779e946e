import { toString as qrToString } from 'qrcode';

/**
 * The otpauth:// URI as an inline SVG QR code (error correction M, 2-module quiet zone). The qrcode
 * SVG renderer emits only <svg> and <path> elements; the result is checked anyway so that nothing
 * scriptable is ever embedded in a page.
 */
export async function totpQrSvg(uri: string): Promise<string> {
  return qrCodeSvg(uri);
}

/** Any short text (a member code's digits) as the same checked inline SVG QR code. */
export async function qrCodeSvg(text: string): Promise<string> {
  const svg = await qrToString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  if (!svg.startsWith('<svg') || /<script|<foreignObject|\son[a-z]+\s*=/i.test(svg)) throw new Error('unexpected QR code SVG output');
  return svg;
}
