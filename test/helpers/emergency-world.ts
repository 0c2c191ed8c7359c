/**
 * The set-up of the emergency files (test/cli/emergency*.test.ts; docs/SHARING.md § 4): the
 * run's shared clinic (test/helpers/world.ts) with its admin as the consortium that holds the
 * emergency key and house (verified) as the ER doctor; alice marks allergy records
 * emergency-visible. Before, each file made consortium, alice and er-doc through keygen,
 * devnet up, register and verify (7 CLI runs).
 */
import type { clinic } from './cli.js';

export async function emergencyWorld(c: ReturnType<typeof clinic>): Promise<{ rpcUrl: string; contract: string }> {
  const d = await c.fromWorld();
  await c.ok([...c.as('admin'), 'admin', 'emergency-recipient']);
  await c.ok([...c.as('alice'), 'emergency', 'types', 'allergy']);
  return d;
}
