/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Debian's Chromium, headless; never a downloaded browser. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}; install it with \`apt-get install -y chromium\` (or set CHROMIUM_PATH)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface LayoutReport {
  overlaps: string[];
  primaryButton: { visible: boolean; insideViewport: boolean; width: number; height: number } | null;
  horizontalOverflow: boolean;
}

/**
 * Reads the rendered layout: pairs of visible controls whose boxes intersect, whether the primary
 * button is visible and inside the viewport width, and whether the page scrolls sideways.
 */
export async function inspectLayout(page: Page): Promise<LayoutReport> {
  return page.evaluate(() => {
    const selector = 'main h1, main h2, main .lead, main label, main input:not([type=hidden]), main button, main a.button, main .switch, main .alert, main .hint, main li, main .qr';
    const boxes = [...document.querySelectorAll<HTMLElement>(selector)]
      .map((element) => ({ element, rect: element.getBoundingClientRect() }))
      .filter(({ rect, element }) => rect.width > 0 && rect.height > 0 && getComputedStyle(element).visibility !== 'hidden')
      // The body of a closed <details> is not shown, whatever box the engine still reports for it.
      .filter(({ element }) => !element.closest('details:not([open]) > :not(summary)'));
    const name = (element: HTMLElement) =>
      `${element.tagName.toLowerCase()}${element.getAttribute('name') ? `[name=${element.getAttribute('name')}]` : ''}${element.className ? `.${element.className}` : ''}`;
    const overlaps: string[] = [];
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i]!;
        const b = boxes[j]!;
        if (a.element.contains(b.element) || b.element.contains(a.element)) continue;
        const dx = Math.min(a.rect.right, b.rect.right) - Math.max(a.rect.left, b.rect.left);
        const dy = Math.min(a.rect.bottom, b.rect.bottom) - Math.max(a.rect.top, b.rect.top);
        if (dx > 1 && dy > 1) overlaps.push(`${name(a.element)} × ${name(b.element)}`);
      }
    }
    const button = document.querySelector<HTMLElement>('button.primary:not([hidden]), a.button.primary');
    const rect = button?.getBoundingClientRect();
    const style = button ? getComputedStyle(button) : undefined;
    return {
      overlaps,
      primaryButton: rect && style
        ? {
            visible: style.visibility !== 'hidden' && style.display !== 'none' && Number(style.opacity) > 0.5 && rect.height >= 32,
            insideViewport: rect.left >= 0 && rect.right <= window.innerWidth,
            width: rect.width,
            height: rect.height,
          }
        : null,
      horizontalOverflow: document.documentElement.scrollWidth > window.innerWidth + 1,
    };
  });
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/**
 * Runs axe-core (the npm package, evaluated in the page through the DevTools protocol, which the
 * page's CSP does not govern) for WCAG 2.0/2.1 A and AA; answers the violations.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document, options: unknown): Promise<{ violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: string[] }> }> }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations.map((violation) => ({ id: violation.id, impact: violation.impact, help: violation.help, targets: violation.nodes.map((node) => node.target.join(' ')) }));
  });
}

/**
 * The screenshot test of a page: captured to `screenshot` (a PNG path), then no overlapping
 * controls, no sideways scroll, the primary action visible in the viewport (unless `primary` is
 * false: a page with none) and, with `axe`, no WCAG 2.1 A/AA violation.
 */
export async function expectGoodPage(page: Page, name: string, options: { screenshot: string; primary?: boolean; axe?: boolean }): Promise<void> {
  await page.screenshot({ path: options.screenshot, fullPage: true });
  const report = await inspectLayout(page);
  expect(report.overlaps, name).toEqual([]);
  expect(report.horizontalOverflow, name).toBe(false);
  if (options.primary !== false) expect(report.primaryButton, name).toMatchObject({ visible: true, insideViewport: true });
  if (options.axe) expect(await axeViolations(page), name).toEqual([]);
}
