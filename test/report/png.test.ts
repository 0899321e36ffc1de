// The hand-written PNG encoder: valid chunks (CRC-32), zlib data that inflates to the scanlines.
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32, encodePngRgb, occupancyColour, occupancyPng } from '../../src/report/png.js';

interface Chunk {
  type: string;
  data: Buffer;
}

function chunks(png: Buffer): Chunk[] {
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const out: Chunk[] = [];
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + length);
    expect(png.readUInt32BE(at + 8 + length)).toBe(crc32(png.subarray(at + 4, at + 8 + length)));
    out.push({ type, data });
    at += 12 + length;
  }
  return out;
}

describe('PNG', () => {
  it('computes the standard CRC-32', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32(Buffer.alloc(0))).toBe(0);
  });

  it('encodes RGB pixels that decode back', () => {
    const rgb = new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    const list = chunks(encodePngRgb(3, 2, rgb));
    expect(list.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
    const ihdr = list[0].data;
    expect([ihdr.readUInt32BE(0), ihdr.readUInt32BE(4), ihdr[8], ihdr[9], ihdr[12]]).toEqual([3, 2, 8, 2, 0]);
    const raw = inflateSync(list[1].data);
    expect(raw.length).toBe(2 * (1 + 9));
    expect(raw[0]).toBe(0);
    expect([...raw.subarray(1, 10)]).toEqual([...rgb.subarray(0, 9)]);
    expect([...raw.subarray(11, 20)]).toEqual([...rgb.subarray(9, 18)]);
    expect(() => encodePngRgb(3, 2, new Uint8Array(5))).toThrow(RangeError);
  });

  it('draws one pixel per occupancy slice, free pale and full dark', () => {
    const fractions = Array.from({ length: 4096 }, (_, i) => (i >= 4032 ? 1 : 0));
    const list = chunks(occupancyPng(fractions));
    expect(list[0].data.readUInt32BE(0)).toBe(64);
    expect(list[0].data.readUInt32BE(4)).toBe(64);
    const raw = inflateSync(list[1].data);
    const pixel = (x: number, y: number): number[] => [...raw.subarray(y * 193 + 1 + x * 3, y * 193 + 4 + x * 3)];
    expect(pixel(0, 0)).toEqual(occupancyColour(0));
    expect(pixel(63, 63)).toEqual(occupancyColour(1));
    expect(occupancyColour(1)[0]).toBeLessThan(occupancyColour(0)[0]);
  });
});
