/**
 * `emr config get | set | show` (docs/CLI.md § Sites, stores and backup): this home's
 * settings (config.json), one key at a time. Every key and value is checked before anything
 * is written (unknown key → USAGE with a did-you-mean; a bad value → USAGE naming the rule;
 * an unknown profile → NOT_FOUND), and the file is rewritten atomically (0600). URLs are
 * printed as every URL emr prints (`urlLabel`, docs/CLI.md § Global behaviour): providers put
 * credentials in them, so neither `get`, `set` nor `show` echoes them whole.
 */
import type { ConfigData } from '../config.js';
import { UsageError } from '../errors.js';
import { urlLabel } from '../output.js';
import { parseRetention } from '../retention.js';
import type { SessionBase } from '../session/index.js';
import { suggest } from '../suggest.js';

/** The keys `config set` takes (a subset of the file's: others are left as they are). */
type Key = Extract<
  keyof ConfigData,
  'defaultProfile' | 'rpcUrl' | 'contract' | 'chainId' | 'deployBlock' | 'ipfsApi' | 'ipfsApis' | 'ipfsGateways' | 'replicas' | 'retention'
>;
type Kind = 'profile' | 'rpc' | 'http' | 'httpList' | 'address' | 'int' | 'positive' | 'retention';

/** The settable keys and what each holds (the config file's own names). */
export const SETTINGS: Readonly<Record<Key, { kind: Kind; about: string }>> = {
  defaultProfile: { kind: 'profile', about: 'the profile that acts without --profile' },
  rpcUrl: { kind: 'rpc', about: 'the EVM JSON-RPC endpoint (--rpc-url)' },
  contract: { kind: 'address', about: 'the access-control contract (--contract)' },
  chainId: { kind: 'positive', about: 'the chain id the contract lives on' },
  deployBlock: { kind: 'int', about: 'the contract’s deployment block (logs are read from there)' },
  ipfsApi: { kind: 'http', about: 'a Kubo RPC API (--ipfs-api)' },
  ipfsApis: { kind: 'httpList', about: 'several Kubo RPC APIs, comma-separated (--ipfs-api, repeated)' },
  ipfsGateways: { kind: 'httpList', about: 'trustless gateways, comma-separated (--ipfs-gateway)' },
  replicas: { kind: 'positive', about: 'how many of the ipfsApis must hold a record (--replicas)' },
  retention: {
    kind: 'retention',
    about: 'how long each record type is kept at least, e.g. lab=10y,*=30y (record list shows what is past it)',
  },
};
const KEYS = Object.keys(SETTINGS) as Key[];
const MAX_LIST = 16;

/** A key as typed: the config file's name, or its kebab-case spelling (`rpc-url`). */
export function settingKey(word: string): Key {
  const k = KEYS.find((x) => x.toLowerCase() === word.replace(/-/g, '').toLowerCase());
  if (k) return k;
  const close = suggest(word, KEYS);
  throw new UsageError(`unknown setting '${word.slice(0, 64)}'`, {
    hint: `${close.length ? `did you mean \`${close[0]}\`? ` : ''}settings: ${KEYS.join(', ')}`,
  });
}

function url(v: string, key: Key, schemes: string[]): string {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new UsageError(`${key} must be a URL`, { hint: `e.g. ${schemes[0]}//127.0.0.1:8545` });
  }
  if (!schemes.includes(u.protocol)) throw new UsageError(`${key} must be a ${schemes.join(' or ')} URL`, { hint: 'check the scheme' });
  return v;
}

function parse(s: SessionBase, key: Key, raw: string): ConfigData[Key] {
  const v = raw.trim();
  switch (SETTINGS[key].kind) {
    case 'profile':
      return s.ctx.profiles.get(v).name; // NOT_FOUND with a did-you-mean
    case 'rpc':
      return url(v, key, ['http:', 'https:', 'ws:', 'wss:']);
    case 'http':
      return url(v, key, ['http:', 'https:']);
    case 'httpList': {
      const list = v
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean);
      if (list.length === 0 || list.length > MAX_LIST)
        throw new UsageError(`${key} takes 1 to ${MAX_LIST} URLs, comma-separated`, { hint: 'an empty value removes the setting' });
      return list.map((x) => url(x, key, ['http:', 'https:']));
    }
    case 'address':
      if (!/^0x[0-9a-fA-F]{40}$/.test(v))
        throw new UsageError(`${key} must be a 0x address (40 hex digits)`, { hint: 'see `emr devnet status` or `emr admin deploy`' });
      return v;
    case 'retention':
      return parseRetention(v);
    case 'int':
    case 'positive': {
      const min = SETTINGS[key].kind === 'positive' ? 1 : 0;
      if (!/^\d{1,16}$/.test(v) || !Number.isSafeInteger(Number(v)) || Number(v) < min)
        throw new UsageError(`${key} must be a whole number ≥ ${min}`, { hint: `e.g. emr config set ${key} ${min + 1}` });
      return Number(v);
    }
  }
}

/** A value as printed: URLs cut to scheme, host and port. */
export function shown(key: Key, v: ConfigData[Key] | undefined): string | number | string[] | null {
  if (v === undefined || v === null) return null;
  const kind = SETTINGS[key].kind;
  if (kind === 'rpc' || kind === 'http') return urlLabel(String(v));
  if (kind === 'httpList') return (v as string[]).map((x) => urlLabel(x));
  if (kind === 'retention')
    return Object.entries(v as Record<string, string>)
      .map(([t, p]) => `${t}=${p}`)
      .join(',');
  return v as string | number;
}

export function getSetting(s: SessionBase, word: string): { key: Key; value: ReturnType<typeof shown> } {
  const key = settingKey(word);
  return { key, value: shown(key, s.ctx.config.get(key)) };
}

/** Sets (or, with an empty value, removes) one setting, after checking it. */
export function setSetting(s: SessionBase, word: string, raw: string): { key: Key; value: ReturnType<typeof shown>; config: string } {
  const key = settingKey(word);
  const value = raw.trim() === '' ? undefined : parse(s, key, raw);
  s.ctx.config.update({ [key]: value } as Partial<ConfigData>);
  return { key, value: shown(key, value), config: s.ctx.config.path };
}

export function showSettings(s: SessionBase): { config: string; settings: Record<string, ReturnType<typeof shown>> } {
  return { config: s.ctx.config.path, settings: Object.fromEntries(KEYS.map((k) => [k, shown(k, s.ctx.config.get(k))])) };
}
