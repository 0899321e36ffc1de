/** The allocators a scenario may name, built for the simulator's domain. */
import type { IovaAllocator } from '../allocators/allocator.js';
import { defaultAllocatorFactory, type AllocatorFactory } from './engine.js';

export const createSimAllocator: AllocatorFactory = (name, args): IovaAllocator<number> => {
  return defaultAllocatorFactory(name, args);
};
