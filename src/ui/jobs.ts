/**
 * Every action of the web view runs as a job (docs/UI.md § 2.3): the form's POST starts it
 * and answers with a redirect to the job's page, which shows its progress until it ends, then
 * the transaction(s) that prove it or the CLI's error message and hint. Jobs run one at a
 * time: they sign with one account, and two transactions built at once would race for a
 * nonce. At most MAX_JOBS are kept (the oldest finished ones are dropped).
 */
import { randomBytes } from 'node:crypto';
import { toEmrError } from '../errors.js';
import type { Html } from './html.js';

export interface JobResult {
  /** One line saying what happened. */
  summary: string;
  /** Transaction hashes that prove it, in order. */
  txHashes: string[];
  /** Facts shown as a list (label, value). */
  fields?: Array<[string, string]>;
  /** Notes shown under the facts (the honest "already fetched" note, warnings). */
  notes?: string[];
  /** Extra markup (a record's content). */
  body?: Html;
  /** Where to go next. */
  next?: { href: string; label: string };
}

export interface Job {
  id: string;
  title: string;
  state: 'queued' | 'running' | 'done' | 'failed';
  progress: string[];
  result?: JobResult;
  error?: { code: string; message: string; hint?: string; txHash?: string };
}

const MAX_JOBS = 50;
const MAX_PROGRESS_LINES = 200;

export class Jobs {
  private readonly jobs = new Map<string, Job>();
  private tail: Promise<void> = Promise.resolve();

  get(id: string): Job | undefined {
    return this.jobs.get(id);
  }

  /** Queues `work`; it gets a `progress` callback for lines shown on the job's page. */
  start(title: string, work: (progress: (line: string) => void) => Promise<JobResult>): Job {
    const job: Job = { id: randomBytes(12).toString('hex'), title, state: 'queued', progress: [] };
    this.jobs.set(job.id, job);
    this.prune();
    const progress = (line: string) => {
      if (job.progress.length < MAX_PROGRESS_LINES) job.progress.push(line);
    };
    this.tail = this.tail.then(async () => {
      job.state = 'running';
      try {
        job.result = await work(progress);
        job.state = 'done';
      } catch (e) {
        const err = toEmrError(e);
        const txHash = typeof err.details?.txHash === 'string' ? err.details.txHash : undefined;
        job.error = { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}), ...(txHash ? { txHash } : {}) };
        job.state = 'failed';
      }
    });
    return job;
  }

  /** Resolves once every queued job has ended (the server waits for it before closing). */
  idle(): Promise<void> {
    return this.tail;
  }

  private prune(): void {
    for (const [id, j] of this.jobs) {
      if (this.jobs.size <= MAX_JOBS) break;
      if (j.state === 'done' || j.state === 'failed') this.jobs.delete(id);
    }
  }
}
