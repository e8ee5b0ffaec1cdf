import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { canonicalJson, sha256Hex } from '../../src/core/canonical.js';

/** RFC 8785 (JSON Canonicalization Scheme): the published examples of sections 3.2.2 and 3.2.3 and Appendix B. */
describe('canonicalJson conforms to RFC 8785', () => {
  it('section 3.2.2: primitives, escapes and numbers of the sample input', () => {
    const input = JSON.parse(String.raw`{
      "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
      "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
      "literals": [null, true, false]
    }`);
    expect(canonicalJson(input)).toBe(String.raw`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`);
  });

  it('section 3.2.3: members sorted by UTF-16 code units, an integer-like name included', () => {
    const input = JSON.parse(String.raw`{
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "\ud83d\ude00": "Emoji: Grinning Face",
      "\u0080": "Control",
      "\u00f6": "Latin Small Letter O With Diaeresis"
    }`);
    expect(canonicalJson(input)).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","ö":"Latin Small Letter O With Diaeresis","€":"Euro Sign","😀":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  it('Appendix B: every finite IEEE 754 sample serializes as published', () => {
    const samples: [string, string][] = [
      ['0000000000000000', '0'],
      ['8000000000000000', '0'],
      ['0000000000000001', '5e-324'],
      ['8000000000000001', '-5e-324'],
      ['7fefffffffffffff', '1.7976931348623157e+308'],
      ['ffefffffffffffff', '-1.7976931348623157e+308'],
      ['4340000000000000', '9007199254740992'],
      ['c340000000000000', '-9007199254740992'],
      ['4430000000000000', '295147905179352830000'],
      ['44b52d02c7e14af5', '9.999999999999997e+22'],
      ['44b52d02c7e14af6', '1e+23'],
      ['44b52d02c7e14af7', '1.0000000000000001e+23'],
      ['444b1ae4d6e2ef4e', '999999999999999700000'],
      ['444b1ae4d6e2ef4f', '999999999999999900000'],
      ['444b1ae4d6e2ef50', '1e+21'],
      ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
      ['3eb0c6f7a0b5ed8d', '0.000001'],
      ['41b3de4355555553', '333333333.3333332'],
      ['41b3de4355555554', '333333333.33333325'],
      ['41b3de4355555555', '333333333.3333333'],
      ['41b3de4355555556', '333333333.3333334'],
      ['41b3de4355555557', '333333333.33333343'],
      ['becbf647612f3696', '-0.0000033333333333333333'],
      ['43143ff3c1cb0959', '1424953923781206.2'],
    ];
    for (const [hex, expected] of samples) {
      const value = Buffer.from(hex, 'hex').readDoubleBE(0);
      expect(canonicalJson([value]), hex).toBe(`[${expected}]`);
    }
  });

  it('Appendix B: NaN and Infinity are errors, not null', () => {
    for (const hex of ['7fffffffffffffff', '7ff0000000000000']) {
      expect(() => canonicalJson({ n: Buffer.from(hex, 'hex').readDoubleBE(0) })).toThrow(/not a JSON number/);
    }
  });

  it('drops undefined members, writes dates through toJSON and nests sorting', () => {
    expect(canonicalJson({ b: undefined, a: [undefined, new Date('2026-03-01T00:00:00.000Z')], c: { z: 1, y: { x: true } } })).toBe(
      '{"a":[null,"2026-03-01T00:00:00.000Z"],"c":{"y":{"x":true},"z":1}}',
    );
  });
});

describe('sha256Hex', () => {
  it('hashes a long string in slices to exactly the digest of its UTF-8 bytes, surrogate pairs across slice ends included', () => {
    // 65,535 ASCII units put an emoji's two halves on either side of the first 65,536-unit slice end.
    const texts = ['a'.repeat(200_000), `${'a'.repeat(65_535)}😀${'é'.repeat(70_000)}😀`, '😀'.repeat(100_001), `x${'😀'.repeat(40_000)}`];
    for (const text of texts) {
      expect(sha256Hex(text)).toBe(createHash('sha256').update(Buffer.from(text, 'utf8')).digest('hex'));
    }
    expect(sha256Hex('short')).toBe(createHash('sha256').update('short').digest('hex'));
  });
});
