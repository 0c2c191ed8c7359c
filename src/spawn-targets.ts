/**
 * The two files emr starts as another thread or process: the batch encrypt worker and the
 * key agent daemon. tsc's dist/ keeps the source tree's layout (dist/batch/…,
 * dist/agent/…); the bundle that bin/emr.js runs (scripts/build.mjs, README § Build) puts
 * every file flat in dist/bundle/ and defines EMR_BUNDLED, so wherever esbuild placed this
 * module, both names resolve beside it. A path relative to the calling module would break
 * there: esbuild moves code between chunks and does not rewrite `new URL(…, import.meta.url)`.
 */
declare const EMR_BUNDLED: boolean | undefined;

const bundled = typeof EMR_BUNDLED !== 'undefined' && EMR_BUNDLED;

/** The batch worker that encrypts and signs rows (src/batch/encrypt-worker.ts). */
export const encryptWorkerUrl = (): URL => new URL(bundled ? './encrypt-worker.js' : './batch/encrypt-worker.js', import.meta.url);

/** The key agent daemon (src/agent/daemon.ts). */
export const agentDaemonUrl = (): URL => new URL(bundled ? './agent-daemon.js' : './agent/daemon.js', import.meta.url);
