import { describe, expect, it } from 'vitest';
import { dmaBitMask, DmaDevice } from '../../src/dma/device.js';
import { dmaKernelFeatures } from '../../src/dma/kernel-features.js';
import {
  bytesToSectorsU32,
  dmaMaxMappingSize,
  dmaOptMappingSize,
  iommuDmaOptMappingSize,
  SIZE_MAX,
  swiotlbAlignOffset,
  swiotlbBounceFits,
  swiotlbMaxMappingSize,
  type MappingSizeInput,
} from '../../src/dma/mapping-size.js';
import { IommuDma } from '../../src/dma/dma-iommu.js';
import { IommuDmaDomain } from '../../src/dma/iommu-dma-domain.js';

const v60 = dmaKernelFeatures('6.0');
const dev64 = new DmaDevice({ name: 'hba' });

function input(overrides: Partial<MappingSizeInput>): MappingSizeInput {
  return { mode: 'translated', pageSize: 4096, device: dev64, features: v60, ...overrides };
}

describe('dma_opt_mapping_size / dma_max_mapping_size (kernel/dma/mapping.c a229cc14f339, 6.0)', () => {
  it('iommu_dma_opt_mapping_size (6.0, 6d9870b7e5de): a translated 4 KiB IOMMU gives opt 128 KiB, max SIZE_MAX', () => {
    expect(iommuDmaOptMappingSize(4096)).toBe(128 * 1024);
    expect(dmaOptMappingSize(input({}))).toBe(131072);
    expect(dmaMaxMappingSize(input({}))).toBe(SIZE_MAX);
  });

  it('iova_rcache_range() uses PAGE_SIZE, not the granule: 64 KiB pages give 2 MiB', () => {
    expect(dmaOptMappingSize(input({ pageSize: 65536 }))).toBe(2 * 1024 * 1024);
  });

  it('dma_direct_max_mapping_size (5.19): passthrough and no IOMMU give opt = max = SIZE_MAX', () => {
    for (const mode of ['passthrough', 'none'] as const) {
      expect(dmaMaxMappingSize(input({ mode }))).toBe(SIZE_MAX);
      expect(dmaOptMappingSize(input({ mode }))).toBe(SIZE_MAX);
    }
  });

  it('dma_direct_max_mapping_size: swiotlb bounces for an addressing-limited device or swiotlb=force -> 256 KiB', () => {
    const dev32 = new DmaDevice({ dmaMask: dmaBitMask(32) });
    const platform = { swiotlb: 'on' as const, maxPhysAddress: dmaBitMask(36) };
    expect(dmaMaxMappingSize(input({ mode: 'none', device: dev32, platform }))).toBe(256 * 1024);
    expect(dmaOptMappingSize(input({ mode: 'none', device: dev32, platform }))).toBe(256 * 1024);
    // The same device with all RAM below 4 GiB is not addressing-limited.
    expect(dmaMaxMappingSize(input({ mode: 'none', device: dev32, platform: { swiotlb: 'on', maxPhysAddress: dmaBitMask(31) } }))).toBe(SIZE_MAX);
    expect(dmaMaxMappingSize(input({ mode: 'passthrough', platform: { swiotlb: 'force', maxPhysAddress: dmaBitMask(40) } }))).toBe(262144);
    expect(dmaMaxMappingSize(input({ mode: 'none', device: dev32, platform: { swiotlb: 'off', maxPhysAddress: dmaBitMask(36) } }))).toBe(SIZE_MAX);
  });

  it('iommu_dma_max_mapping_size (6.9, afc5aa46ed56): untrusted devices get the swiotlb limit; 6.8 had no max op', () => {
    const untrusted = new DmaDevice({ trusted: false });
    expect(dmaMaxMappingSize(input({ device: untrusted, features: dmaKernelFeatures('6.9') }))).toBe(262144);
    expect(dmaOptMappingSize(input({ device: untrusted, features: dmaKernelFeatures('6.9') }))).toBe(131072);
    expect(dmaMaxMappingSize(input({ device: untrusted, features: dmaKernelFeatures('6.8') }))).toBe(SIZE_MAX);
  });

  it('swiotlb_max_mapping_size: IO_TLB_SIZE * IO_TLB_SEGSIZE minus the rounded min_align_mask (NVMe: 252 KiB)', () => {
    expect(swiotlbMaxMappingSize(new DmaDevice(), v60)).toBe(2048 * 128);
    expect(swiotlbMaxMappingSize(new DmaDevice({ minAlignMask: 4095 }), v60)).toBe(262144 - 4096);
  });

  it('min_t(unsigned int, x, SIZE_MAX >> SECTOR_SHIFT) sees 0xffffffff; finite sizes shift normally', () => {
    expect(bytesToSectorsU32(SIZE_MAX)).toBe(0xffffffff);
    expect(bytesToSectorsU32(131072)).toBe(256);
  });
});

describe('swiotlb by kernel version (kernel/dma/swiotlb.c)', () => {
  const nvme = new DmaDevice({ name: 'nvme', minAlignMask: 4095 });

  it('swiotlb_max_mapping_size() subtracts the rounded min_align_mask from 5.19 (82806744fd7d; 5.10.147, 5.15.72), not 5.18', () => {
    expect(swiotlbMaxMappingSize(nvme, dmaKernelFeatures('5.18'))).toBe(262144);
    expect(swiotlbMaxMappingSize(nvme, dmaKernelFeatures('5.19'))).toBe(262144 - 4096);
    expect(swiotlbMaxMappingSize(nvme, dmaKernelFeatures('5.15.71'))).toBe(262144);
    expect(swiotlbMaxMappingSize(nvme, dmaKernelFeatures('5.15.72'))).toBe(262144 - 4096);
    expect(swiotlbMaxMappingSize(nvme, dmaKernelFeatures('5.10.147'))).toBe(262144 - 4096);
  });

  it('a bounce keeps bit 11 of a 4 KiB min_align_mask from 6.9 (51b30ecb73b4): orig & mask & (alloc_align_mask | 2047)', () => {
    expect(swiotlbAlignOffset(nvme, 4095, 0x1234_5a00, dmaKernelFeatures('6.8'))).toBe(0x200);
    expect(swiotlbAlignOffset(nvme, 4095, 0x1234_5a00, dmaKernelFeatures('6.9'))).toBe(0xa00);
    // A device without min_align_mask keeps nothing either way.
    expect(swiotlbAlignOffset(new DmaDevice({}), 4095, 0x1234_5a00, dmaKernelFeatures('6.9'))).toBe(0);
  });

  it('the bounce fits in 128 slots of 2 KiB: iova_align(size) + offset before 6.9, ALIGN(size + offset, granule) from 6.9', () => {
    const size = 254 * 1024;
    expect(swiotlbBounceFits(size, 0, 4096, dmaKernelFeatures('6.8'))).toBe(true);
    expect(swiotlbBounceFits(size, 512, 4096, dmaKernelFeatures('6.8'))).toBe(false);
    expect(swiotlbBounceFits(size, 512, 4096, dmaKernelFeatures('6.9'))).toBe(true);
    expect(swiotlbBounceFits(size + 2048, 512, 4096, dmaKernelFeatures('6.9'))).toBe(false);
  });

  it('dma-iommu returns the bounced buffer at that offset: an untrusted NVMe-like device on 6.8 and 6.9', () => {
    const device = new DmaDevice({ name: '0000:41:00.0', trusted: false, minAlignMask: 4095 });
    const map = (kernel: string): number => new IommuDma(new IommuDmaDomain({ kernel, devices: [device] })).mapPage(device, 0x1_2345_6a00, 1024, 0);
    expect(map('6.8') % 4096).toBe(0x200);
    expect(map('6.9') % 4096).toBe(0xa00);
  });
});
