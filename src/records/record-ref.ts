/**
 * A registered record as every record flow reports it (added, listed): the chain's facts
 * about it, one shape so `record add --json` and `record list --json` rows agree.
 */
export interface RecordRef {
  id: string;
  cid: string;
  patient: string;
  author: string;
  type: string;
  txHash: string;
}
