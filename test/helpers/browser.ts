/**
 * A real browser for the web-view tests (docs/UI.md § 5): Debian's chromium (installed by
 * scripts/ensure-chromium.mjs) driven by playwright-core, axe-core for accessibility, a
 * Tab walk for keyboard reach, and `emr ui` started through the built binary.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { type Browser, chromium, type Page } from 'playwright-core';
import { BIN } from './cli.js';

const CANDIDATES = [process.env.EMR_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
export const CHROMIUM = CANDIDATES.find((p): p is string => !!p && existsSync(p));
export const NO_BROWSER = CHROMIUM
  ? undefined
  : 'no chromium on this machine (scripts/ensure-chromium.mjs installs it as root with apt-get): the browser tests are skipped';

export function launchBrowser(): Promise<Browser> {
  // --no-sandbox: CI runs as root, where chromium's sandbox refuses to start.
  return chromium.launch({
    executablePath: CHROMIUM!,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--password-store=basic'],
    env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: 'disabled:' },
  });
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * axe-core's serious and critical violations on the page. axe is evaluated through the
 * DevTools protocol, which the page's Content-Security-Policy does not govern (an injected
 * <script> would be refused, rightly).
 */
export async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(axeSource);
  const res = (await page.evaluate(() => (globalThis as any).axe.run((globalThis as any).document, { resultTypes: ['violations'] }))) as {
    violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[];
  };
  return res.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** The interactive elements (links, buttons, fields) that pressing Tab never reaches. */
export async function unreachableByKeyboard(page: Page): Promise<string[]> {
  const total = await page.evaluate(() => {
    const els: any[] = [
      ...(globalThis as any).document.querySelectorAll('a[href], button, input:not([type="hidden"]), select, textarea, summary'),
    ];
    els.forEach((e, i) => e.setAttribute('data-kb', String(i)));
    return els.length;
  });
  const seen = new Set<string>();
  await page.evaluate(() => (globalThis as any).document.activeElement?.blur());
  for (let i = 0; i < total * 2 + 4 && seen.size < total; i++) {
    await page.keyboard.press('Tab');
    const at = await page.evaluate(() => (globalThis as any).document.activeElement?.getAttribute('data-kb') ?? null);
    if (at !== null) seen.add(at);
  }
  return page.evaluate(
    (reached) =>
      ([...(globalThis as any).document.querySelectorAll('[data-kb]')] as any[])
        .filter((e) => !reached.includes(e.getAttribute('data-kb')!))
        .map((e) => e.outerHTML.slice(0, 120)),
    [...seen],
  );
}

/** Tabs until the element matching `selector` has the focus (a person's way to a button); false if never. */
export async function tabTo(page: Page, selector: string, max = 200): Promise<boolean> {
  await page.evaluate(() => (globalThis as any).document.activeElement?.blur());
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (
      await page.evaluate((sel) => (globalThis as any).document.activeElement === (globalThis as any).document.querySelector(sel), selector)
    )
      return true;
  }
  return false;
}

export interface RunningUi {
  url: string;
  /** http://127.0.0.1:<port> */
  base: string;
  port: number;
  child: ChildProcess;
  stderr(): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/** `emr <args> ui <uiArgs>`, through the binary; resolves once it printed its URL. */
export function startUi(args: string[], uiArgs: string[] = []): Promise<RunningUi> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, NO_COLOR: '1' })) if (v !== undefined && !k.startsWith('EMR_PASSWORD')) env[k] = v;
  const child = spawn(process.execPath, [BIN, ...args, 'ui', ...uiArgs], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`emr ui printed no URL in 60 s: ${err}`));
    }, 60_000);
    const early = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`emr ui exited (${code}) before printing a URL: ${err}`));
    };
    child.once('exit', early);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^(http:\/\/127\.0\.0\.1:(\d+))\/login\?token=[\w-]+$/m.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.off('exit', early);
      resolve({
        url: m[0],
        base: m[1]!,
        port: Number(m[2]),
        child,
        stderr: () => err,
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          return exited;
        },
      });
    });
  });
}

/** One HTTP request with exactly these headers (fetch would not let a test forge Host). */
export function rawRequest(
  port: number,
  opts: { method: string; path: string; headers: Record<string, string>; body?: string },
): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: opts.method, path: opts.path, headers: opts.headers, setHost: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}
