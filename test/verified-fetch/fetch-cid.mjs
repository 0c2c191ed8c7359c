// A third-party Trustless Gateway client for emr's interop test: the IPFS project's
// @helia/verified-fetch fetches ipfs://<cid> from the one gateway given, and nothing else
// (a Helia node with HTTP block fetching only: no libp2p, no delegated routers, so the
// gateway is asked at once), and writes the verified bytes to stdout.
// Usage: node --import ./with-resolvers.mjs fetch-cid.mjs <gateway-url> <cid>
import { createVerifiedFetchWithHelia } from '@helia/verified-fetch';
import { createHeliaLight } from 'helia';
import { withHTTP } from '@helia/http';

const [gateway, cid] = process.argv.slice(2);
const light = createHeliaLight();
// Helia 7 waits forever when its only router is a fallback one; a router that knows
// nothing lets it move on to the fallback (the gateway) at once.
light.addRouter({ name: 'none', async *findProviders() {} });
const helia = await withHTTP(light, { delegatedRouters: [], recursiveGateways: [gateway], allowInsecure: true, allowLocal: true }).start();
const verifiedFetch = await createVerifiedFetchWithHelia(helia);
try {
  const res = await verifiedFetch(`ipfs://${cid}`, { signal: AbortSignal.timeout(60_000) });
  if (res.status !== 200) {
    console.error(`verified-fetch: HTTP ${res.status} ${await res.text()}`);
    process.exitCode = 1;
  } else {
    const bytes = Buffer.from(await res.arrayBuffer());
    await new Promise((r) => process.stdout.write(bytes, r));
  }
} finally {
  await verifiedFetch.stop();
  await helia.stop();
}
