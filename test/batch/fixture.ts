/**
 * Old names of the batch world (kept so branches written against them still merge): the
 * builder is test/helpers/world.ts.
 */
export { type BatchWorld as World, batchWorld as makeWorld, csv, type Patient } from '../helpers/world.js';
