/**
 * Old names of the batch world (kept so branches written against them still merge): the
 * builder is test/helpers/world.ts.
 */
export { batchWorld as makeWorld, csv, type BatchWorld as World, type Patient } from '../helpers/world.js';
