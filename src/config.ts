/**
 * The home directory and its config file (docs/CLI.md § Global behaviour: `--home`, `EMR_HOME`).
 *
 * A plain JSON file written atomically. (The `conf` package was the planned choice; importing
 * it costs ~140 ms here against ~40 ms for all of `node -e 0`, which alone would break the
 * start-up budget of 2× `node -e 0`, for a file this small.)
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { UsageError } from './errors.js';
import { writeFileAtomic } from './fs-atomic.js';

export interface ConfigData {
  defaultProfile?: string;
  rpcUrl?: string;
  contract?: string;
  chainId?: number;
  /** The contract's deployment block (`admin deploy --save`): logs are read from there. */
  deployBlock?: number;
  ipfsApi?: string;
  /** STORAGE.md § "Gateways": trustless gateways read after the store, in order. */
  ipfsGateways?: string[];
  /** STORAGE.md § "Replicas": several Kubo nodes, and how many must hold each record. */
  ipfsApis?: string[];
  replicas?: number;
  /** Retention periods by type (records/retention.ts): `{"lab": "10y", "*": "30y"}`. */
  retention?: Record<string, string>;
}

/** The OS config dir, e.g. ~/.config/emr (XDG), ~/Library/Application Support/emr, %APPDATA%\emr. */
export function defaultHome(env: NodeJS.ProcessEnv = process.env): string {
  if (process.platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'emr');
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'emr');
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'emr');
}

export function resolveHome(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(flag || env.EMR_HOME || defaultHome(env));
}

export class Config {
  private data: ConfigData;
  readonly path: string;

  constructor(readonly home: string) {
    this.path = join(home, 'config.json');
    this.data = {};
    if (existsSync(this.path)) {
      try {
        this.data = JSON.parse(readFileSync(this.path, 'utf8')) as ConfigData;
      } catch (e) {
        throw new UsageError(`config file ${this.path} is not valid JSON`, { hint: 'fix or delete it', cause: e });
      }
    }
  }

  get<K extends keyof ConfigData>(key: K): ConfigData[K] {
    return this.data[key];
  }

  /** Updates keys (undefined deletes) and saves atomically. */
  update(patch: Partial<ConfigData>): void {
    const next: ConfigData = { ...this.data };
    for (const [k, v] of Object.entries(patch) as [keyof ConfigData, unknown][]) {
      if (v === undefined) delete next[k];
      else (next as Record<string, unknown>)[k] = v;
    }
    writeFileAtomic(this.path, JSON.stringify(next, null, 2) + '\n', { mode: 0o600, overwrite: true });
    this.data = next;
  }

  all(): Readonly<ConfigData> {
    return this.data;
  }
}
