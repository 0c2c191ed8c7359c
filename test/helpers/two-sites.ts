/**
 * Two sites on one devnet, no shared files (test/cli/sites.test.ts, test/cli/second-site.test.ts):
 * hospital A is a copy of the run's shared clinic (test/helpers/world.ts: admin, alice, grey
 * verified), hospital B is another home whose provider `hb` reaches A's chain only through
 * `--rpc-url`/`--contract`. Both files made this by hand before (keygen, devnet up, register,
 * verify, grant: ~10 CLI runs); the shared world leaves ~5.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { clinic, emr, tempHome } from './cli.js';

export interface TwoSitesReady {
  /** `--rpc-url …  --contract …` of A's devnet, for commands run at B. */
  chain: string[];
  /** alice's address (site B names the patient by address: it has no profile of hers). */
  alice: string;
  hb: string;
}

export function twoSites() {
  const c = clinic();
  const B = tempHome();
  const pwB: Record<string, string> = {};
  const asB = (who: string) => ['--home', B.home, '--profile', who, '--password-file', (pwB[who] ??= B.pw(who))];
  return {
    A: { home: c.home },
    B,
    asA: c.as,
    asB,
    ok: c.ok,
    /**
     * A's devnet up from the shared clinic; hb made at B, funded, registered (and verified by
     * A's admin when `verifyHb`); alice grants grey lab --write 30d and hb lab (read) 30d.
     */
    async setUp(opts: { verifyHb: boolean }): Promise<TwoSitesReady> {
      const d = await c.fromWorld();
      const chain = ['--rpc-url', d.rpcUrl, '--contract', d.contract];
      const hb = (await c.ok([...asB('hb'), 'keygen', '--name', 'hb', '--role', 'provider'])).address as string;
      await c.rpc('anvil_setBalance', [hb, '0x56bc75e2d63100000']);
      await c.ok([...asB('hb'), ...chain, 'register', '--role', 'provider']);
      if (opts.verifyHb) await c.ok([...c.as('admin'), 'admin', 'verify', hb]);
      await c.ok([...c.as('alice'), 'grant', 'grey', '--types', 'lab', '--write', '--expires', '30d']);
      await c.ok([...c.as('alice'), 'grant', hb, '--types', 'lab', '--expires', '30d']);
      const alice = JSON.parse(readFileSync(join(c.home, 'profiles', 'alice.json'), 'utf8')).address as string;
      return { chain, alice, hb };
    },
    /** A's devnet down (B has none); the homes go with the file's TMPDIR (TESTING.md § 5). */
    down: () => emr(['--home', c.home, 'devnet', 'down']),
  };
}
