/**
 * decodeEvent (src/chain/logs.ts) against ethers' own parseLog, for every event of the ABI:
 * the topic index it keeps must decode exactly what parseLog decodes, and refuse what
 * parseLog refuses (an unknown topic, another contract's log, a name not asked for).
 */
import { Interface, type Log, ZeroAddress, zeroPadValue } from 'ethers';
import { describe, expect, it } from 'vitest';
import { emrAbi } from '../../src/chain/abi.generated.js';
import { decodeEvent } from '../../src/chain/logs.js';

const iface = new Interface(emrAbi);
const CONTRACT = '0x5FbDB2315678afecb367f032d93F642f64180aa3';

/** A log of `event` with arguments made from its ABI types (each value distinct per slot). */
function sampleLog(name: string, address = CONTRACT): Log {
  const ev = iface.getEvent(name)!;
  const values = ev.inputs.map((p, i) => {
    if (p.baseType === 'address') return zeroPadValue(`0x${(i + 1).toString(16).padStart(2, '0')}`, 20);
    if (p.baseType === 'string') return `value ${i}`;
    if (p.baseType === 'bool') return i % 2 === 0;
    if (p.baseType === 'array') return [BigInt(i + 1), BigInt(i + 2)];
    if (p.type.startsWith('bytes') && p.type !== 'bytes')
      return zeroPadValue(`0x${(i + 1).toString(16).padStart(2, '0')}`, Number(p.type.slice(5)));
    if (p.type === 'bytes') return `0x${'ab'.repeat(i + 1)}`;
    return BigInt(i + 1);
  });
  const { data, topics } = iface.encodeEventLog(ev, values);
  return { address, data, topics, blockNumber: 1, index: 0, transactionHash: `0x${'00'.repeat(32)}` } as unknown as Log;
}

describe('decodeEvent: the topic index decodes what ethers parseLog decodes', () => {
  const names: string[] = [];
  iface.forEachEvent((e) => {
    names.push(e.name);
  });

  it('every event of the ABI, name and arguments', () => {
    expect(names.length).toBeGreaterThan(10);
    for (const name of names) {
      const log = sampleLog(name);
      const ours = decodeEvent(iface, CONTRACT, log);
      const theirs = iface.parseLog(log);
      expect(ours?.name, name).toBe(theirs?.name);
      expect([...(ours?.args ?? [])], name).toEqual(theirs?.args.toArray());
    }
  });

  it('another contract’s log, an unknown topic and a name not asked for are null', () => {
    const name = names[0]!;
    expect(decodeEvent(iface, CONTRACT, sampleLog(name, ZeroAddress))).toBeNull();
    const unknown = { ...sampleLog(name), topics: [`0x${'11'.repeat(32)}`] } as unknown as Log;
    expect(decodeEvent(iface, CONTRACT, unknown)).toBeNull();
    const other = names.find((n) => n !== name)!;
    expect(decodeEvent(iface, CONTRACT, sampleLog(name), [other] as never)).toBeNull();
  });

  it('a log whose data does not fit its event is refused, as parseLog refuses it', () => {
    const name = names.find((n) => iface.getEvent(n)!.inputs.some((p) => !p.indexed))!;
    const bad = { ...sampleLog(name), data: '0x01' } as unknown as Log;
    expect(() => iface.parseLog(bad)).toThrow();
    expect(() => decodeEvent(iface, CONTRACT, bad)).toThrow();
  });
});
