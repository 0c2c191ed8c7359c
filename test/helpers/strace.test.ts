// The trace reader the durability tests use (test/helpers/strace.ts): a sync that another
// process's line splits in two still counts, at its resumed half; a failed or foreign one does not.
import { describe, expect, it } from 'vitest';
import { syncsCompleted } from './strace.js';

describe('syncsCompleted', () => {
  it('counts whole and resumed syncs of the store, at the line where they completed', () => {
    const lines = [
      '100 openat(AT_FDCWD</s>, "/h/ipfs/blocks/AB/X.data", O_WRONLY|O_CREAT, 0644) = 23</h/ipfs/blocks/AB/X.data>',
      '101 syncfs(3</h/ipfs/blocks> <unfinished ...>',
      '100 write(5<socket:[1]>, "POST / HTTP/1.1"..., 120) = 120',
      '101 <... syncfs resumed>) = 0',
      '102 sync() = 0',
      '100 fsync(23</h/ipfs/pins/Q>) = 0',
      '100 fsync(24</elsewhere/file>) = 0',
      '103 syncfs(3</h/ipfs/blocks>) = -1 EIO (Input/output error)',
      '104 fdatasync(25</h/ipfs/blocks/CD/Y.data> <unfinished ...>',
      '100 write(6</h/job.journal>, "{", 1) = 1',
      '104 <... fdatasync resumed>) = 0',
      '105 write(7</h/x>, "a", 1 <unfinished ...>',
      '105 <... write resumed>) = 1',
    ];
    expect(syncsCompleted(lines, '/h/ipfs')).toEqual([
      false,
      false,
      false,
      true,
      true,
      true,
      false,
      false,
      false,
      false,
      true,
      false,
      false,
    ]);
  });
});
