/**
 * A device's settings without its secrets (docs/STORAGE.md § "A second device"): what a
 * second machine (a patient's laptop restored from the recovery phrase, a new clinic
 * workstation) needs to reach the same chain, contract and stores. The file holds URLs and
 * an address only; URLs with credentials are refused on export and on import.
 *
 *   {"v":1,"kind":"emr-device-config","rpcUrl":"…","contract":"0x…","chainId":31337,
 *    "ipfsApi":"…"?, "ipfsGateways":["…"]?}
 */
import type { ConfigData } from '../config.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { writeFileAtomic } from '../fs-atomic.js';
import { readFileAtMost } from '../read-bounded.js';
import { parseRetention } from '../retention.js';
import { chainFor, resolveEndpoint } from '../session/chain.js';
import type { SessionBase } from '../session/index.js';

export interface DeviceConfig {
  v: 1;
  kind: 'emr-device-config';
  rpcUrl: string;
  contract: string;
  chainId: number;
  ipfsApi?: string;
  ipfsGateways?: string[];
  /** The consortium's (or the patient's) retention schedule (src/retention.ts), as config stores it. */
  retention?: Record<string, string>;
}

const MAX_FILE = 64 * 1024;
const MAX_GATEWAYS = 16;

function checkUrl(what: string, u: unknown): string {
  if (typeof u !== 'string' || u.length > 2048) throw new UsageError(`${what} is not a URL`, { hint: 'the device config file is damaged' });
  let url: URL;
  try {
    url = new URL(u);
  } catch (e) {
    throw new UsageError(`${what} is not a URL`, { hint: 'the device config file is damaged', cause: e });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`${what} is not an http(s) URL`, { hint: 'the device config file is damaged' });
  if (url.username || url.password) {
    throw new UsageError(`${what} carries credentials`, {
      hint: 'a device config holds no secrets: use a URL without user:password, and give credentials on each device',
    });
  }
  return u;
}

/** The effective settings of this home (flags, env, config, or the running devnet). */
export async function exportDeviceConfig(ctx: Context): Promise<DeviceConfig> {
  const ep = await resolveEndpoint(ctx);
  const chain = await chainFor(ctx);
  const ipfsApi = ctx.globals.ipfsApi ?? ctx.config.get('ipfsApi');
  const gateways = ctx.globals.ipfsGateways ?? ctx.config.get('ipfsGateways');
  const out: DeviceConfig = {
    v: 1,
    kind: 'emr-device-config',
    rpcUrl: checkUrl('the RPC URL', ep.rpcUrl),
    contract: chain.address,
    chainId: Number(chain.chainId),
  };
  if (ipfsApi) out.ipfsApi = checkUrl('--ipfs-api', ipfsApi);
  if (gateways?.length) out.ipfsGateways = gateways.map((g) => checkUrl('--ipfs-gateway', g));
  const retention = ctx.config.get('retention');
  if (retention && Object.keys(retention).length) out.retention = retention;
  return out;
}

/** Reads, checks and saves a device config into this home's config file. */
export function importDeviceConfig(ctx: Context, file: string): DeviceConfig {
  let doc: Record<string, unknown>;
  try {
    // read-bounded.ts: a FIFO or a device fed without end was read to its (never coming)
    // end before the size was checked.
    const bytes = readFileAtMost(file, MAX_FILE);
    if (!bytes) throw new Error('larger than 64 KiB');
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new UsageError(`cannot read a device config from ${file}`, { hint: 'give the file made by `emr config export`', cause: e });
  }
  if (!doc || typeof doc !== 'object' || doc.kind !== 'emr-device-config' || doc.v !== 1) {
    throw new UsageError(`${file} is not an emr device config`, { hint: 'give the file made by `emr config export`' });
  }
  const rpcUrl = checkUrl('rpcUrl', doc.rpcUrl);
  if (typeof doc.contract !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(doc.contract))
    throw new UsageError('contract is not an address', { hint: 'the device config file is damaged' });
  if (!Number.isSafeInteger(doc.chainId) || (doc.chainId as number) <= 0)
    throw new UsageError('chainId is not a positive integer', { hint: 'the device config file is damaged' });
  const cfg: DeviceConfig = { v: 1, kind: 'emr-device-config', rpcUrl, contract: doc.contract, chainId: doc.chainId as number };
  if (doc.ipfsApi !== undefined) cfg.ipfsApi = checkUrl('ipfsApi', doc.ipfsApi);
  if (doc.ipfsGateways !== undefined) {
    if (!Array.isArray(doc.ipfsGateways) || doc.ipfsGateways.length > MAX_GATEWAYS)
      throw new UsageError('ipfsGateways is not a short list', { hint: 'the device config file is damaged' });
    cfg.ipfsGateways = doc.ipfsGateways.map((g, i) => checkUrl(`ipfsGateways[${i}]`, g));
  }
  if (doc.retention !== undefined) {
    const r = doc.retention as Record<string, unknown>;
    if (!r || typeof r !== 'object' || Array.isArray(r) || Object.values(r).some((v) => typeof v !== 'string'))
      throw new UsageError('retention is not a schedule', { hint: 'the device config file is damaged' });
    cfg.retention = parseRetention(
      Object.entries(r)
        .map(([t, p]) => `${t}=${p}`)
        .join(','),
    );
  }
  const patch: Partial<ConfigData> = {
    rpcUrl: cfg.rpcUrl,
    contract: cfg.contract,
    chainId: cfg.chainId,
    ipfsApi: cfg.ipfsApi,
    ipfsGateways: cfg.ipfsGateways,
    ...(cfg.retention ? { retention: cfg.retention } : {}),
  };
  ctx.config.update(patch);
  return cfg;
}

/** `emr config export`: the settings, written (0600, atomic) to `output` when one is named. */
export async function exportConfigFlow(
  s: SessionBase,
  out: { output?: string; force: boolean },
): Promise<DeviceConfig & { path?: string }> {
  const cfg = await exportDeviceConfig(s.ctx);
  if (!out.output) return cfg;
  writeFileAtomic(out.output, JSON.stringify(cfg, null, 2) + '\n', { mode: 0o600, overwrite: out.force });
  return { ...cfg, path: out.output };
}

/** `emr config import`: adopt the settings; the answer names the config file they went to. */
export function importConfigFlow(s: SessionBase, file: string): DeviceConfig & { config: string } {
  return { ...importDeviceConfig(s.ctx, file), config: s.ctx.config.path };
}
