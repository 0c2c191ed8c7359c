#!/usr/bin/env node
// Child of `npm run bench:records` (issue 11 goal 3): splits "chain connect + one read"
// into its parts inside one fresh process, because the whole-command difference (whois −
// start-up) also holds loading and compiling the chain modules, which no JSON-RPC change
// can remove. Prints JSON: ms to import the chain client (tsc's dist/, not the bundle, so
// only its order of size means anything), ms for connectChain (the one batched set-up
// round trip: chain id + contract code, then the provider and the typed contract), and ms
// for whois (two view calls in one batch, then the Registered log).
//
// Usage: node bench/chain-probe.mjs <rpcUrl> <contract> <chainId> <address>
const [rpcUrl, contract, chainId, address] = process.argv.slice(2);
const t0 = performance.now();
const { connectChain } = await import('../dist/chain/client.js');
const { whois } = await import('../dist/chain/whois.js');
const t1 = performance.now();
const chain = await connectChain({ rpcUrl, contract, expectChainId: BigInt(chainId) });
const t2 = performance.now();
const info = await whois(chain, address);
const t3 = performance.now();
if (!info.registered) throw new Error('chain-probe: the account is not registered');
chain.provider.destroy();
process.stdout.write(`${JSON.stringify({ modules: t1 - t0, connect: t2 - t1, read: t3 - t2 })}\n`);
