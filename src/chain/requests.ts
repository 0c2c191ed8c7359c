/** Access requests addressed to a patient, with their current state. */
import { addressTopic, blockTimes, queryEvents } from './logs.js';
import { parseAddress } from './params.js';
import { read } from './read.js';
import type { EmrChain } from './types.js';

export type RequestState = 'pending' | 'approved' | 'denied';

export interface AccessRequest {
  requestId: bigint;
  patient: string;
  provider: string;
  readMask: number;
  reason: string;
  state: RequestState;
  createdAt: number;
  txHash: string;
}

const STATES: readonly RequestState[] = ['pending', 'approved', 'denied'];

export async function listRequests(chain: EmrChain, params: { patient: string; state?: RequestState }): Promise<AccessRequest[]> {
  const patient = parseAddress(params.patient, 'patient');
  const events = await queryEvents(chain, { names: ['AccessRequested'], topics: [null, addressTopic(patient)] });
  const times = await blockTimes(
    chain,
    events.map((e) => e.blockNumber),
  );
  const out: AccessRequest[] = [];
  for (const e of events) {
    const id = e.args[0];
    const [, , state] = await read(chain, 'requestOf', [patient, id]);
    const r: AccessRequest = {
      requestId: id,
      patient,
      provider: e.args[2],
      readMask: Number(e.args[3]),
      reason: e.args[4],
      state: STATES[Number(state)] ?? 'pending',
      createdAt: times.get(e.blockNumber) ?? 0,
      txHash: e.txHash,
    };
    if (!params.state || params.state === r.state) out.push(r);
  }
  return out;
}
