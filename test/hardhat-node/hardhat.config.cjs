// The second EVM node of emr's tests (test/cli/second-evm.test.ts). A chain id that is
// not anvil's 31337, so nothing in emr can pass by assuming the devnet's id; automine
// (Hardhat's default) mines each transaction in its own block as it arrives.
module.exports = {
  networks: {
    hardhat: { chainId: 424242 },
  },
};
