/**
 * Name the devnet's RPC URL to every `emr` child (EMR_RPC_URL, read by the CLI) so that a
 * slow machine does not turn the devnet liveness probe (a 1 s eth_chainId) into a false
 * "devnet is not running": these tests are about re-keying, not about that probe.
 */
export function pinRpc(url: string): void {
  process.env.EMR_RPC_URL = url;
}
