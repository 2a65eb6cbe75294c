// Debian's Chromium driven by playwright-core (installed by scripts/install-chromium.sh; never a
// downloaded browser), a fresh profile per launch, and a check that a screenshot is not blank.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { type BrowserContext, chromium } from 'playwright-core';

export const CHROMIUM = process.env['KRANGE_CHROMIUM'] ?? '/usr/bin/chromium';

/** Chromium with a fresh profile directory (a persistent context is how Playwright takes one). */
export function launchChromium(): Promise<BrowserContext> {
  const profile = mkdtempSync(join(tmpdir(), 'krange-chromium-'));
  return chromium.launchPersistentContext(profile, {
    headless: true,
    viewport: { width: 1400, height: 900 },
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** Distinct byte values of the PNG's decoded image data: a blank page gives only a handful. */
export function pngVariety(png: Buffer): number {
  const idat: Buffer[] = [];
  let at = 8;
  while (at < png.length) {
    const len = png.readUInt32BE(at);
    const type = png.toString('ascii', at + 4, at + 8);
    if (type === 'IDAT') idat.push(png.subarray(at + 8, at + 8 + len));
    at += 12 + len;
  }
  const pixels = inflateSync(Buffer.concat(idat));
  const seen = new Set<number>();
  for (let i = 0; i < pixels.length && seen.size < 256; i += 7) seen.add(pixels[i]!);
  return seen.size;
}
