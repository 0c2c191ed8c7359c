/** deployContract: deploy EmrAccess with `firstAdmin` (default: the deployer). */
import { ContractFactory, type Signer } from 'ethers';
import { UnavailableError } from '../errors.js';
import { loadArtifact } from './artifacts.js';
import { toChainError } from './errors.js';

export async function deployContract(params: {
  signer: Signer;
  firstAdmin?: string;
}): Promise<{ address: string; txHash: string; blockNumber: number; gasUsed: bigint }> {
  const artifact = loadArtifact('EmrAccess');
  const factory = new ContractFactory(artifact.abi, artifact.bytecode, params.signer);
  const deployer = await params.signer.getAddress();
  const admin = params.firstAdmin ?? deployer;
  try {
    const contract = await factory.deploy(admin);
    const receipt = await contract.deploymentTransaction()?.wait();
    if (receipt?.status !== 1) {
      throw new UnavailableError('contract deployment failed', { hint: 'check the account balance and retry' });
    }
    return {
      address: await contract.getAddress(),
      txHash: receipt.hash,
      blockNumber: receipt.blockNumber,
      gasUsed: receipt.gasUsed,
    };
  } catch (e) {
    throw toChainError(e, factory.interface, deployer);
  }
}
