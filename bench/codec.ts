/**
 * Payload encryption cost: a payload's trip through the client's converter (JSON) and back, with
 * and without the AES-256-GCM codec, in the same run, at the sizes an agent step moves (a page
 * reference, a step result, a large tool argument). Writes JSON.
 *
 *   bun bench/codec.ts [--iterations 20000]
 */
import { parseArgs } from 'node:util';
import { defaultPayloadConverter } from '@temporalio/common';
import { AesGcmCodec, parseCodecKeys } from '../infra/temporal/codec';
import { writeResult } from './results-file';
import { summarise } from './stats';

const { values } = parseArgs({ options: { iterations: { type: 'string', default: '20000' } } });
const iterations = Number(values.iterations);
const codec = new AesGcmCodec(parseCodecKeys(`bench:${Buffer.alloc(32, 9).toString('base64')}`));

/** Microseconds per round trip (to payload and back), `encrypt` choosing whether the codec runs. */
async function roundTrip(value: unknown, encrypt: boolean): Promise<number[]> {
  const perBatch: number[] = [];
  const batch = 100;
  for (let done = 0; done < iterations; done += batch) {
    const t = performance.now();
    for (let i = 0; i < batch; i++) {
      const payload = defaultPayloadConverter.toPayload(value);
      const stored = encrypt ? (await codec.encode([payload]))[0]! : payload;
      const back = encrypt ? (await codec.decode([stored]))[0]! : stored;
      defaultPayloadConverter.fromPayload(back);
    }
    perBatch.push(((performance.now() - t) * 1000) / batch);
  }
  return perBatch;
}

const sizes = { 'page reference (~200 B)': { id: 'agent-x:3:reply', step: 3, kind: 'message', tokens: 120 }, 'step result (~2 KB)': { text: 'x'.repeat(2_000) }, 'tool arguments (64 KB)': { code: 'y'.repeat(64 * 1024) } };
const rows: Record<string, unknown> = {};
for (const [name, value] of Object.entries(sizes)) {
  await roundTrip(value, true); // warm-up
  const plain = summarise(await roundTrip(value, false));
  const sealed = summarise(await roundTrip(value, true));
  rows[name] = { plainUs: plain, encryptedUs: sealed, addedUsP50: Math.round((sealed.p50 - plain.p50) * 10) / 10 };
  console.log(`${name}: plain p50 ${plain.p50.toFixed(1)} µs, encrypted p50 ${sealed.p50.toFixed(1)} µs`);
}
console.log(`wrote ${writeResult('codec', { iterations, unit: 'microseconds per payload round trip (convert, encode, decode, convert back)', sizes: rows })}`);
