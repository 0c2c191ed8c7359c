/**
 * The embedded store's durability point (docs/STORAGE.md § Durability) without a fork of
 * this process per sync: one long-lived `sh` per store runs coreutils `sync -f <dirs>`
 * (syncfs(2) of their filesystem; Node has no binding) each time it reads a line, and
 * answers `ok` or `no`. Forking the emr process cost ~10 ms of its CPU each time (page
 * tables of a ~150 MiB process): `batch add --batch-size 1` paid it per record (23.6
 * records/s; issue 26 § 2). The small shell's fork of `sync` costs the emr process nothing.
 *
 * The helper holds no secret and gets the child environment (child-env.ts). It exits when
 * its stdin closes: when the store closes, or the emr process ends in any way (a SIGKILL
 * too). Any failure (no `sh`, a `no`, a crash, no answer within the bound) rejects, and the
 * caller falls back as STORAGE.md § Durability says; a helper that failed once is not used again.
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { childEnv } from '../child-env.js';

/** `$@` are the directories; one line in, one sync, one answer out. */
const SCRIPT = 'while read -r _; do if sync -f "$@" 2>/dev/null; then echo ok; else echo no; fi; done';
/** As long as a `sync` run directly was given (a slow disk can take long, a hung one must not hang emr). */
const TIMEOUT_MS = 120_000;

export class SyncHelper {
  private child: ChildProcessByStdio<Writable, Readable, null> | undefined;
  private failed: Error | undefined;
  private readonly waiting: Array<{ resolve(): void; reject(e: Error): void; timer: NodeJS.Timeout }> = [];
  private buffered = '';

  constructor(private readonly dirs: readonly string[]) {}

  /** Resolves once every file of `dirs`' filesystems written before the call is durable. */
  sync(): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    const child = this.child ?? this.start();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new Error('sync helper: no answer in time')), TIMEOUT_MS);
      timer.unref();
      this.waiting.push({ resolve, reject, timer });
      this.refs(true);
      child.stdin.write('\n');
    });
  }

  close(): void {
    this.failed ??= new Error('sync helper: closed');
    this.child?.stdin.end();
    this.child = undefined;
  }

  private start() {
    const child = spawn('sh', ['-c', SCRIPT, 'emr-sync', ...this.dirs], { stdio: ['pipe', 'pipe', 'ignore'], env: childEnv() });
    this.child = child;
    child.on('error', (e) => this.fail(e));
    child.on('exit', (code, signal) => this.fail(new Error(`sync helper exited (${signal ?? code})`)));
    child.stdin.on('error', (e) => this.fail(e));
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => this.answer(d));
    this.refs(false);
    return child;
  }

  /** The helper keeps the process alive only while a sync waits for it. */
  private refs(on: boolean): void {
    const c = this.child;
    if (!c) return;
    const handles = [c, c.stdin, c.stdout] as Array<{ ref?(): void; unref?(): void }>;
    for (const h of handles) (on ? h.ref : h.unref)?.call(h);
  }

  private answer(d: string): void {
    this.buffered += d;
    for (let nl = this.buffered.indexOf('\n'); nl >= 0; nl = this.buffered.indexOf('\n')) {
      const line = this.buffered.slice(0, nl);
      this.buffered = this.buffered.slice(nl + 1);
      const w = this.waiting.shift();
      if (!w) {
        this.fail(new Error('sync helper: an answer nobody asked for'));
        return;
      }
      clearTimeout(w.timer);
      if (line === 'ok') w.resolve();
      else {
        // `sync -f` cannot run here (old coreutils, not Linux): the fallback from now on.
        this.failed = new Error('sync helper: sync -f failed');
        w.reject(this.failed);
      }
    }
    if (this.waiting.length === 0) this.refs(false);
  }

  private fail(e: Error): void {
    this.failed ??= e;
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null && child.signalCode === null) child.kill();
    for (const w of this.waiting.splice(0)) {
      clearTimeout(w.timer);
      w.reject(this.failed);
    }
  }
}
