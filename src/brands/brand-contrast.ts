/**
 * WCAG 2.1 contrast of a brand's accent colour against the hosted pages' white background: the
 * colour of links and of primary buttons (white text on the accent), so text in it needs 4.5:1 to
 * pass level AA (success criterion 1.4.3). The console shows the figure beside a brand's preview.
 */
export const AA_TEXT_CONTRAST = 4.5;

/** The contrast ratio of `#rrggbb` against white, 1 to 21. */
export function contrastAgainstWhite(hex: string): number {
  return 1.05 / (relativeLuminance(hex) + 0.05);
}

/** Relative luminance as WCAG 2.1 defines it (sRGB channels linearised). */
function relativeLuminance(hex: string): number {
  const value = Number.parseInt(hex.slice(1, 7), 16);
  const linear = (shift: number) => {
    const channel = ((value >> shift) & 0xff) / 255;
    return channel <= 0.04045 ? channel / 12.92 : ((channel + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * linear(16) + 0.7152 * linear(8) + 0.0722 * linear(0);
}
