/**
 * Context (src/context.ts): secrets registered with holdSecret are zeroed when the command
 * ends, and so is one registered after it ended: `batch add` and `encrypt` start the
 * keystore's unlock beside other work, and a refusal returns before it finishes (helper-24's
 * review: the key of a refused batch stayed in memory, registered after close()).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { Context } from '../src/context.js';

function context(): Context {
  const io = { stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough() };
  return new Context({ home: mkdtempSync(join(tmpdir(), 'emr-ctx-')), json: true, yes: false }, io, {});
}

describe('Context secrets', () => {
  it('a secret held during the command is zeroed by close()', async () => {
    const ctx = context();
    const key = ctx.holdSecret(new Uint8Array([1, 2, 3]));
    expect([...key]).toEqual([1, 2, 3]);
    await ctx.close();
    expect([...key]).toEqual([0, 0, 0]);
  });

  it('a secret held after close() is zeroed at once, and a closer added then still runs', async () => {
    const ctx = context();
    await ctx.close();
    const late = ctx.holdSecret(new Uint8Array([7, 7, 7]));
    expect([...late]).toEqual([0, 0, 0]);
    let ran = false;
    ctx.onClose(() => {
      ran = true;
    });
    await new Promise((r) => setImmediate(r));
    expect(ran).toBe(true);
  });
});

describe('Context labels', () => {
  it('a labeler names each address once, as label() names it (issue 26 § 4: one profile lookup per address, not per row)', () => {
    const ctx = context();
    const a = '0x' + '11'.repeat(20);
    const b = '0x' + '22'.repeat(20);
    const lookups = vi.spyOn(ctx.profiles, 'byAddress');
    const label = ctx.labeler('short');
    const names = Array.from({ length: 1000 }, (_, i) => label(i % 2 ? a : b));
    expect(lookups).toHaveBeenCalledTimes(2);
    expect(names[0]).toBe(ctx.label(b, 'short'));
    expect(names[1]).toBe(ctx.label(a, 'short'));
    expect(names[1]).toBe(`${a.slice(0, 10)}…`);
  });
});
