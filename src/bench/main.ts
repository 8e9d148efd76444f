// Standalone entry: `npx tsx src/bench/main.ts [--quick] [--json] [--out DIR] ...` (npm run bench).

import { benchHelp, parseBenchArgs, runBench } from './index.ts';

async function main(): Promise<number> {
  let options: ReturnType<typeof parseBenchArgs>;
  try {
    options = parseBenchArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(`${benchHelp('npx tsx src/bench/main.ts')}\n`);
    return 0;
  }
  await runBench(options, (line) => process.stdout.write(`${line}\n`));
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`${(e as Error).stack ?? e}\n`);
    process.exitCode = 1;
  },
);
