/**
 * `emr ui` (docs/UI.md): the acting profile is unlocked once, in this process, at start (the
 * key agent, --password-file, or the passphrase asked on the terminal); then a local web
 * server shows that person's pages until SIGINT or SIGTERM, when the server closes, the jobs
 * in flight finish, and the context zeroes the keys. The page never sees a key or a
 * passphrase: it sees rendered HTML and sends forms; the flows run here.
 *
 * The one URL, with its one-time token, goes to stdout (`--json`: one document `{url}`);
 * any listen address other than loopback needs --listen and is warned about on stderr.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childEnv } from '../child-env.js';
import type { Context } from '../context.js';
import { parseListen } from '../ipfs/serve.js';
import { toJson } from '../output.js';
import { openSession } from '../session/index.js';
import { untilSignal } from '../session/signal.js';
import { routes } from './app.js';
import { isLoopback } from './gate.js';
import { Jobs } from './jobs.js';
import { renderPage } from './layout.js';
import { startUiServer } from './server.js';

export interface UiOptions {
  listen: string;
  open?: boolean;
}

export async function serveUiFlow(ctx: Context, opts: UiOptions): Promise<{ url: string; stopped: true; signal: string }> {
  const listen = parseListen(opts.listen);
  const s = await openSession(ctx, { signer: true, store: true });
  const who = { name: s.me.profile.name, address: s.me.profile.address, role: s.me.profile.role };
  const stopped = untilSignal(ctx);
  const jobs = new Jobs();
  const server = await startUiServer(listen, routes(s, jobs), (reply, csrf) => renderPage(reply, csrf ? who : null));
  // Closing order: no new requests, then the jobs already started end, then (ctx.close) keys are zeroed.
  ctx.onClose(async () => {
    await server.close();
    await jobs.idle();
  });
  if (!isLoopback(listen.host))
    ctx.io.stderr.write(
      `warning: listening on ${listen.host}, not only this computer: anyone who can reach it and gets the link acts as ${who.name}\n`,
    );
  if (ctx.json) ctx.io.stdout.write(toJson({ ok: true, data: { url: server.url } }) + '\n');
  else ctx.io.stdout.write(`${server.url}\n`);
  if (!ctx.json) ctx.io.stderr.write(`emr ui: open the link above in a browser (it works once); Ctrl-C to stop.\n`);
  if (opts.open) await openBrowser(ctx, server.url);
  return { url: server.url, stopped: true, signal: await stopped };
}

/** What a desktop opener needs besides childEnv's allow-list (never EMR_*). */
const DESKTOP = ['DISPLAY', 'WAYLAND_DISPLAY', 'XDG_RUNTIME_DIR', 'DBUS_SESSION_BUS_ADDRESS', 'BROWSER'];

/**
 * `--open`: the desktop's opener is given a private file (0600, in a 0700 directory) that
 * redirects to the link, as Jupyter does, not the link itself: a command line is readable by
 * every local user (ps), the file only by this one. The file goes when the server stops.
 * Failing to start an opener is a note, not an error.
 */
async function openBrowser(ctx: Context, url: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'emr-ui-open-'));
  ctx.onClose(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'open.html');
  await writeFile(file, `<!doctype html><meta http-equiv="refresh" content="0;url=${url}"><a href="${url}">emr ui</a>\n`, { mode: 0o600 });
  const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  const env = { ...childEnv(ctx.env), ...Object.fromEntries(DESKTOP.filter((k) => ctx.env[k]).map((k) => [k, ctx.env[k]])) };
  const note = () => ctx.io.stderr.write(`could not start ${cmd}; open the link yourself\n`);
  try {
    const child = spawn(cmd, [file], { stdio: 'ignore', detached: true, env });
    child.on('error', note);
    child.unref();
  } catch {
    note();
  }
}
