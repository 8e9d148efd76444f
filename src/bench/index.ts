// The benchmark suite's public surface (the CLI's `iomux bench` calls runBench with parsed options).

export { benchHelp, defaultOptions, OPTIONS, parseBenchArgs } from './args.ts';
export { type Facts, runBench } from './run.ts';
export type {
  BackendName,
  BenchOptions,
  BenchRecord,
  Counters,
  Mechanism,
  ObjectKind,
  OpName,
} from './types.ts';
