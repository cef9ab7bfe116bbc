/** Flash/RAM breakdown from captured `size` and `nm -S --size-sort` output. */
import { describe, expect, it } from 'vitest';
import { KwsError } from '../../src/errors.js';
import { parseNmOutput, parseSizeOutput, sizeBreakdown } from '../../src/firmware/sizes.js';

// arm-none-eabi-size / -nm on a network build for qemu-m4 (trimmed).
const ARM_SIZE = `   text\t   data\t    bss\t    dec\t    hex\tfilename
  83916\t   2788\t  19056\t 105760\t  19d20\tbuild/firmware.elf
`;
const ARM_NM = `20000000 00000001 D __fdlib_version
000013b4 00000002 T __malloc_lock
200009b4 00000004 D __heap_limit
20000c00 00000004 B errno
00012a40 00000028 R CONV1_BIAS_wt_scale
00000810 000000a8 T kws_features_window
20000a00 00000100 d kws_features_state
00002c00 00000280 R conv1_bias
00003000 00002400 R conv1_wt
20001000 00003e80 b buffer1
20004e80 00003e80 b buffer2
20008d00 00000a00 B col_buffer
00004000 000002f4 T arm_convolve_HWC_q7_basic_nonsquare
`;
// binutils on the host (64-bit addresses and sizes).
const HOST_NM = `0000000000004048 0000000000000001 b completed.0
0000000000004260 0000000000000008 b start_ns
0000000000004040 0000000000000008 B stdin@GLIBC_2.2.5
0000000000002050 0000000000000010 r SPIN_LENGTHS
`;

const GROUPS = {
  weights: /_wt$|_bias$/,
  activations: /^buffer|col_buffer/,
  frontEnd: /^kws_features/,
};

describe('size and nm parsing', () => {
  it('reads the totals line of Berkeley-format size output', () => {
    expect(parseSizeOutput(ARM_SIZE)).toEqual({ text: 83_916, data: 2788, bss: 19_056 });
    expect(() => parseSizeOutput('arm-none-eabi-size: x.elf: file format not recognized\n')).toThrow(KwsError);
  });

  it('reads symbol sizes (hex) and types of 32- and 64-bit nm output', () => {
    expect(parseNmOutput(ARM_NM)).toHaveLength(13);
    expect(parseNmOutput(ARM_NM)[9]).toEqual({ name: 'buffer1', size: 0x3e80, type: 'b' });
    expect(parseNmOutput(HOST_NM)).toEqual([
      { name: 'completed.0', size: 1, type: 'b' },
      { name: 'start_ns', size: 8, type: 'b' },
      { name: 'stdin@GLIBC_2.2.5', size: 8, type: 'B' },
      { name: 'SPIN_LENGTHS', size: 16, type: 'r' },
    ]);
    expect(parseNmOutput('         U memcpy\n\n')).toEqual([]);
  });
});

describe('sizeBreakdown', () => {
  const report = sizeBreakdown(parseSizeOutput(ARM_SIZE), parseNmOutput(ARM_NM), GROUPS);

  it('counts flash as text + data and RAM as data + bss', () => {
    expect(report).toMatchObject({ text: 83_916, data: 2788, bss: 19_056, flash: 86_704, ram: 21_844 });
  });

  it('puts code and constants in flash, .bss in RAM, initialised data in both', () => {
    expect(report.groups.weights).toMatchObject({ flash: 0x2400 + 0x280, ram: 0 });
    expect(report.groups.activations).toMatchObject({ flash: 0, ram: 2 * 0x3e80 + 0xa00 });
    expect(report.groups.frontEnd).toMatchObject({ flash: 0xa8 + 0x100, ram: 0x100 });
    expect(report.groups.weights?.symbols.map((symbol) => symbol.name)).toEqual(['conv1_bias', 'conv1_wt']);
  });

  it('leaves the rest to other, so that the parts add up to the totals', () => {
    const groups = Object.values(report.groups);
    expect(report.other.flash + groups.reduce((sum, group) => sum + group.flash, 0)).toBe(report.flash);
    expect(report.other.ram + groups.reduce((sum, group) => sum + group.ram, 0)).toBe(report.ram);
    expect(report.other).toEqual({ flash: 86_704 - 0x2680 - 0x1a8, ram: 21_844 - 0x8700 - 0x100 });
  });

  it('gives a symbol to the first group it matches, whatever the pattern flags', () => {
    const twice = sizeBreakdown(parseSizeOutput(ARM_SIZE), parseNmOutput(ARM_NM), {
      bias: /bias/gi,
      weights: /_wt$|_bias$/g,
    });
    expect(twice.groups.bias?.symbols.map((symbol) => symbol.name)).toEqual(['CONV1_BIAS_wt_scale', 'conv1_bias']);
    expect(twice.groups.weights?.symbols.map((symbol) => symbol.name)).toEqual(['conv1_wt']);
  });

  it('reports everything as other without groups', () => {
    const plain = sizeBreakdown(parseSizeOutput(ARM_SIZE), parseNmOutput(ARM_NM), {});
    expect(plain.groups).toEqual({});
    expect(plain.other).toEqual({ flash: plain.flash, ram: plain.ram });
  });
});
