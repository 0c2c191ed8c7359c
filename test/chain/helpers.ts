/**
 * Old names of the chain world (kept so branches written against them still merge): the
 * builder is test/helpers/world.ts.
 */
export {
  chainWorld as fixture,
  digest,
  increaseTime,
  privateChain as privateAnvil,
  X25519_RECIPIENT,
  type Actor,
  type ChainWorld as Fixture,
} from '../helpers/world.js';
