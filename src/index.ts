// iomux: Linux I/O multiplexing as an executable model of the kernel. The library's public API.
export * from './abi/constants.ts';
export { ERRNO, type Errno, errnoName } from './abi/errno.ts';
export { FLAG_TABLES, formatMask, parseFlags } from './abi/flags.ts';
export * from './api/backend.ts';
export * from './api/syscalls.ts';
export * from './kernel/index.ts';
