/**
 * `emr ui [--listen <host:port>] [--open]` (docs/UI.md): a local web view of the acting
 * profile's records, grants, requests and audit trail, served from the same flows as the
 * CLI until SIGINT/SIGTERM. Prints one URL with a one-time token (`--json`: one document
 * `{url}`), then nothing more on stdout.
 */
import { defineCommand } from '../spec.js';

export const ui = defineCommand({
  name: 'ui',
  summary: 'a local web view for patients and clinicians (keys stay in this process)',
  options: [
    {
      flags: '--listen <host:port>',
      description: 'address to listen on (default 127.0.0.1, any free port; another host is warned about)',
      default: '127.0.0.1:0',
    },
    { flags: '--open', description: 'open the page in the desktop’s browser' },
  ],
  examples: ['emr --profile alice ui', 'emr --profile dr-grey ui --listen 127.0.0.1:8765 --open'],
  async run(ctx, _args, opts: { listen: string; open?: boolean }) {
    const { serveUiFlow } = await import('../../ui/serve.js');
    return { data: await serveUiFlow(ctx, { listen: opts.listen, open: !!opts.open }), printed: true };
  },
});
