/** The allocators a scenario may name, built for the simulator's domain. */
import type { IovaAllocator } from '../allocators/allocator.js';
import { ALLOCATOR_NAMES, createAllocator, isAllocatorName } from '../allocators/registry.js';
import { defaultAllocatorFactory, type AllocatorFactory } from './engine.js';

export const createSimAllocator: AllocatorFactory = (name, args): IovaAllocator<number> => {
  if (name === 'linux') return defaultAllocatorFactory(name, args);
  if (!isAllocatorName(name)) throw new Error(`unknown allocator "${name}" (known: ${ALLOCATOR_NAMES.join(', ')})`);
  return createAllocator(name, { granule: args.granule, startPfn: args.startPfn, endPfn: args.endPfn });
};
