/**
 * What every session has, whatever it opened: the context, the home, a scratch path, the
 * clock, labels and the prompts. Shared by `openSession` (./index.ts) and `openLocalSession`
 * (./local.ts).
 */
import type { Context, Progress } from '../context.js';
import { askPassphrase, confirm, type PassphraseOptions, progress } from './prompts.js';
import { scratchPath } from './store-path.js';

export interface SessionBase {
  readonly ctx: Context;
  readonly home: string;
  /** A private directory under the home for ciphertext on its way to the store. */
  readonly scratch: string;
  now(): Date;
  label(address: string, form?: 'name' | 'withAddress' | 'short'): string;
  passphrase(purpose: string, opts?: PassphraseOptions): Promise<Uint8Array>;
  confirm(message: string): Promise<boolean>;
  progress(text: string): Progress;
}

/** `scratch`: the directory a store made; without a store, only its path. */
export function sessionBase(ctx: Context, scratch?: string): SessionBase {
  return {
    ctx,
    home: ctx.home,
    scratch: scratch ?? scratchPath(ctx.home),
    now: () => ctx.clock.now(),
    label: (a, form) => ctx.label(a, form),
    passphrase: (purpose, opts) => askPassphrase(ctx, purpose, opts),
    confirm: (message) => confirm(ctx, message),
    progress: (text) => progress(ctx, text),
  };
}
