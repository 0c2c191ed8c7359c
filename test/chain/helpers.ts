/**
 * Old names of the chain world (kept so branches written against them still merge): the
 * builder is test/helpers/world.ts.
 */
export {
  type Actor,
  type ChainWorld as Fixture,
  chainWorld as fixture,
  digest,
  increaseTime,
  privateChain as privateAnvil,
  X25519_RECIPIENT,
} from '../helpers/world.js';
