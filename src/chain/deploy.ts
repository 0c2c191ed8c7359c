/** deployContract: deploy EmrAccess with `firstAdmin` (default: the deployer). */
import type { Signer } from 'ethers';
import { ContractFactory } from 'ethers/contract';
import { UnavailableError } from '../errors.js';
import { loadArtifact } from './artifacts.js';
import { toChainError } from './errors.js';
import { sentButUnknown, waitWatched } from './send.js';

export async function deployContract(params: {
  signer: Signer;
  firstAdmin?: string;
}): Promise<{ address: string; txHash: string; blockNumber: number; gasUsed: bigint }> {
  const artifact = loadArtifact('EmrAccess');
  const factory = new ContractFactory(artifact.abi, artifact.bytecode, params.signer);
  const deployer = await params.signer.getAddress();
  const admin = params.firstAdmin ?? deployer;
  let contract;
  try {
    contract = await factory.deploy(admin);
  } catch (e) {
    throw toChainError(e, factory.interface, deployer);
  }
  const sent = contract.deploymentTransaction();
  let receipt;
  try {
    // Watched like every other wait (send.ts): a node that stops answering ends it.
    receipt = sent ? await waitWatched(sent) : null;
  } catch (e) {
    throw sentButUnknown(sent!.hash, toChainError(e, factory.interface, deployer));
  }
  if (receipt?.status !== 1) {
    throw new UnavailableError('contract deployment failed', { hint: 'check the account balance and retry' });
  }
  return {
    address: await contract.getAddress(),
    txHash: receipt.hash,
    blockNumber: receipt.blockNumber,
    gasUsed: receipt.gasUsed,
  };
}
