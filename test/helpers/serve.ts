/**
 * Runs `emr store serve --listen 127.0.0.1:0 --json` as a child process, as a site would,
 * and hands back its URL once listening; `stop()` sends SIGTERM and returns the exit code.
 */
import { spawn } from 'node:child_process';
import { BIN, ROOT, runEnv } from './cli.js';

export interface ServingSite {
  url: string;
  /** The gateway's process id (a test may count its open sockets in /proc). */
  pid: number;
  stdout(): string;
  stop(): Promise<number | null>;
}

export function serveSite(args: string[], env: Record<string, string> = {}): Promise<ServingSite> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args, 'store', 'serve', '--listen', '127.0.0.1:0', '--json'], {
      cwd: ROOT,
      // The environment any spawned `emr` of the suite gets (no stray passphrase variable).
      env: runEnv({ env }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`store serve did not start: ${err}`));
    }, 30_000);
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      try {
        const doc = JSON.parse(out.slice(0, nl));
        resolve({
          url: doc.data.url,
          pid: child.pid!,
          stdout: () => out,
          stop: async () => {
            child.kill('SIGTERM');
            const hard = setTimeout(() => child.kill('SIGKILL'), 20_000);
            const code = await exited;
            clearTimeout(hard);
            return code;
          },
        });
      } catch (e) {
        child.kill('SIGKILL');
        reject(e);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`store serve exited with ${code}: ${err}`));
    });
  });
}
