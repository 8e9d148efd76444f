#!/usr/bin/env bash
# How fast the installed `iomux` starts (`npm run bench:startup`): packs this checkout (which builds
# it), installs the tarball into an empty project as a user would, then times with hyperfine
#   node -e 0                      Node's own start, the floor
#   iomux --help                   the command table alone
#   iomux run <example>            one script on the simulated kernel
# and prints each median and minimum, also as ratios to the floor's, against the target (issue 13:
# ≤ 0.3 s each). A measurement to read, not a test: the machine's load moves it.
#
#   scripts/startup.sh [RUNS] [EXAMPLE]    (defaults: 30, examples/01-select-loop.json)
set -euo pipefail

runs="${1:-30}"
example="${2:-examples/01-select-loop.json}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if ! command -v hyperfine >/dev/null 2>&1; then
  echo "startup.sh: hyperfine is not installed; it does the timing (Debian/Ubuntu: apt-get install hyperfine; or cargo install hyperfine)" >&2
  exit 2
fi
if [[ ! -f "$root/$example" ]]; then
  echo "startup.sh: no such example: $example" >&2
  exit 2
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/iomux-startup-XXXXXX")"
trap 'rm -rf "$work"' EXIT

echo "packing (npm pack builds dist/) ..." >&2
tarball="$(cd "$root" && npm pack --silent --pack-destination "$work" | tail -n 1)"
mkdir "$work/project"
cd "$work/project"
npm init -y >/dev/null
echo "installing $tarball into $work/project ..." >&2
npm install --silent --no-audit --no-fund --prefer-offline "$work/$tarball" >/dev/null
cp "$root/$example" script.json
./node_modules/.bin/iomux run script.json >/dev/null # it runs, and matches its expects

hyperfine --shell=none --warmup 3 --runs "$runs" --style basic --export-json "$work/times.json" \
  --command-name 'node -e 0' 'node -e 0' \
  --command-name 'iomux --help' './node_modules/.bin/iomux --help' \
  --command-name "iomux run $(basename "$example")" './node_modules/.bin/iomux run script.json'

node - "$work/times.json" <<'EOF'
// Medians and minimums, each also as a ratio to node -e 0 measured in the same run: under load
// every figure moves, the ratios less. The verdict reads the median.
const { results } = JSON.parse(require('node:fs').readFileSync(process.argv[2], 'utf8'));
const ms = (s) => `${(s * 1000).toFixed(0)} ms`.padStart(8);
const x = (a, b) => `${(a / b).toFixed(2)}×`.padStart(8);
const [floor] = results;
console.log(`\n${'command'.padEnd(30)}    mean ±     σ    median       min  median/node  min/node  ≤ 0.3 s`);
for (const r of results) {
  const verdict = r === floor ? '' : r.median <= 0.3 ? 'met' : 'missed';
  const row = `${ms(r.mean)} ±${ms(r.stddev)}  ${ms(r.median)}  ${ms(r.min)}`;
  console.log(`${r.command.padEnd(30)}${row}     ${x(r.median, floor.median)}  ${x(r.min, floor.min)}  ${verdict}`);
}
EOF
