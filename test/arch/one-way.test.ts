/**
 * Issue 27 § 2, checked so it stays done: one constructor of an error by its code, one way
 * to create a profile, and no lint comments for a linter the project does not run (it lints
 * with Biome, whose unused `biome-ignore` comments `npm run lint` already reports). Modules
 * that nothing reaches are found by .dependency-cruiser.cjs (`no-unreachable`, run by
 * test/arch/layout.test.ts and `npm run lint`).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type ErrorCode, EXIT_CODES, errorOfCode } from '../../src/errors.js';

const root = join(import.meta.dirname, '..', '..');
/** Folders of installed tools and fixtures, not our code. */
const NOT_OURS = /(^|\/)(node_modules|ipfs-daemon|verified-fetch|hardhat-node|fixtures)(\/|$)/;

function files(dir: string, ext = /\.(ts|mjs|cjs|js)$/): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (NOT_OURS.test(relative(root, p))) return [];
    return statSync(p).isDirectory() ? files(p, ext) : ext.test(n) ? [p] : [];
  });
}

const srcFiles = files(join(root, 'src')).filter((f) => f.endsWith('.ts'));
const text = (f: string) => readFileSync(f, 'utf8');
const CLASSES = 'Internal|Usage|AccessDenied|Integrity|PatientMismatch|BadPassphrase|Unavailable|NotFound';

describe('one way (issue 27 § 2)', () => {
  it('MUST: errorOfCode builds the class of every code but INTERRUPTED (which needs its signal)', () => {
    for (const code of Object.keys(EXIT_CODES) as ErrorCode[]) {
      if (code === 'INTERRUPTED') continue;
      const e = errorOfCode(code, 'm', { hint: 'h' });
      expect([e.code, e.exitCode, e.hint]).toEqual([code, EXIT_CODES[code], 'h']);
    }
    expect(errorOfCode('NO_SUCH_CODE', 'm').code).toBe('INTERNAL');
    expect(errorOfCode('INTERRUPTED', 'm').code).toBe('INTERNAL');
  });

  it('MUST: no map from a code (or kind) to an error class outside src/errors.ts, as a table or a switch', () => {
    const maps = srcFiles
      .filter((f) => relative(root, f) !== 'src/errors.ts')
      .flatMap((f) => {
        const t = text(f);
        // `USAGE: UsageError,` as a table's values, or `case 'usage': return new UsageError(` as a switch.
        const table = new Set(
          [...t.matchAll(new RegExp(`^\\s*['"]?\\w+['"]?\\s*:\\s*(${CLASSES})Error\\s*,?\\s*$`, 'gm'))].map((m) => m[1]),
        );
        const cases = new Set(
          [...t.matchAll(new RegExp(`case\\s+['"][^'"]*['"]\\s*:\\s*(?:return|throw)\\s+new\\s+(${CLASSES})Error\\(`, 'g'))].map(
            (m) => m[1],
          ),
        );
        return table.size >= 2 || cases.size >= 2 ? [`${relative(root, f)}: ${[...table, ...cases].join(', ')}`] : [];
      });
    expect(maps).toEqual([]);
  });

  it('MUST: a profile is saved in one place, src/session/new-profile.ts (keygen, key import and the demo call it)', () => {
    const savers = srcFiles
      .filter((f) => /\bprofiles\.save\(|new ProfileStore\([^)]*\)\.save\(/.test(text(f)))
      .map((f) => relative(root, f));
    expect(savers).toEqual(['src/session/new-profile.ts']);
    const callers = srcFiles.filter((f) => /\bsaveNewProfile\(/.test(text(f))).map((f) => relative(root, f));
    expect(callers.sort()).toEqual([
      'src/identity/key-import.ts',
      'src/identity/keygen.ts',
      'src/records/demo.ts',
      'src/session/new-profile.ts',
    ]);
  });

  // The three openers stay three modules (chain-session.ts loads no IPFS stack, local.ts no
  // chain client either: measured in issue 11), but each takes the same options; the two
  // overlapped unlocks (`unlockSigner` for a batch, `unlockingIdentity` for encrypt) run
  // beside the work on purpose and are not an opened session's `me`.
  it('MUST: a command opens its session in one call whose options say what it needs (no `me` unlocked and added after)', () => {
    const bolted = files(join(root, 'src', 'commands'))
      .filter((f) => /\bunlockIfAnswerable\b|\bme: await\b|\.me = await\b/.test(text(f)))
      .map((f) => relative(root, f));
    expect(bolted).toEqual([]);
  });

  it('MUST: no eslint, istanbul or @ts-ignore comments (Biome lints; tsc reports an unused @ts-expect-error)', () => {
    const dead = ['src', 'test', 'bench', 'scripts', 'bin']
      .flatMap((d) => files(join(root, d)))
      .flatMap((f) =>
        text(f)
          .split('\n')
          .map((l, i) => ({ l, i }))
          .filter(({ l }) => /\/[/*]\s*(eslint-(disable|enable)|eslint\s|istanbul ignore|@ts-ignore|@ts-nocheck)/.test(l))
          .map(({ i }) => `${relative(root, f)}:${i + 1}`),
      )
      .filter((where) => !where.startsWith('test/arch/one-way.test.ts:'));
    expect(dead).toEqual([]);
  });
});
