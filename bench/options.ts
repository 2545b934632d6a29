/**
 * Command-line options of `npm run bench`. Pure.
 *
 *   --quick             CI smoke: 1 round, 1 s per run, every target and load (< 60 s)
 *   --rounds N          rounds of A B A B ... (default 5; quick 1)
 *   --duration S        seconds per run for every load (default: per load, see loads.ts)
 *   --targets a,b       only these targets (ids as in targets.ts)
 *   --loads a,b         only these loads (ids as in loads.ts)
 *   --out DIR           where RESULTS.md and results.json go (default bench/)
 *   --no-pin            do not pin processes to cores with taskset
 *   --no-control-plane  skip the control-plane figures (control server + N agents, ~2 min in full)
 *   --render FILE       measure nothing: re-render the RESULTS.md of a results.json (after a format change),
 *                       its goals judged again by the current rules (written back to the results.json)
 *   --profile           CPU-profile the agent targets under saturation: flame graphs in bench/profiles/
 *   --base REV          also run each agent target from revision REV (`<id>@base`), interleaved: a
 *                       change's before/after in one run
 */

export interface BenchOptions {
  quick: boolean;
  rounds: number;
  /** Overrides every load's duration, in seconds. */
  durationS: number | undefined;
  targets: string[] | undefined;
  loads: string[] | undefined;
  outDir: string;
  pin: boolean;
  controlPlane: boolean;
  /** Path of a results.json to re-render instead of measuring. */
  render: string | undefined;
  /** CPU-profile the agents instead of the full comparison (bench/profiles/). */
  profile: boolean;
  /** A git revision whose agent runs beside the working tree's (base-tree.ts). */
  base: string | undefined;
  help: boolean;
}

export const USAGE = `usage: npm run bench -- [--quick] [--rounds N] [--duration S] [--targets a,b] [--loads a,b] [--out DIR] [--no-pin] [--no-control-plane] [--base REV] | --render results.json | --profile [--targets a,b] [--duration S]`;

/** Parses argv (without node and the script). Throws an Error with a one-line message on bad input. */
export function parseOptions(argv: readonly string[]): BenchOptions {
  const o: BenchOptions = {
    quick: false,
    rounds: NaN,
    durationS: undefined,
    targets: undefined,
    loads: undefined,
    outDir: 'bench',
    pin: true,
    controlPlane: true,
    render: undefined,
    profile: false,
    base: undefined,
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new Error(`${flag} needs a value`);
      return v;
    };
    const positive = (v: string): number => {
      const n = Number(v);
      if (!(n > 0) || !Number.isFinite(n)) throw new Error(`${flag} needs a positive number, got ${v}`);
      return n;
    };
    switch (flag) {
      case '--quick':
        o.quick = true;
        break;
      case '--rounds':
        o.rounds = Math.round(positive(value()));
        break;
      case '--duration':
        o.durationS = positive(value());
        break;
      case '--targets':
        o.targets = list(value());
        break;
      case '--loads':
        o.loads = list(value());
        break;
      case '--out':
        o.outDir = value();
        break;
      case '--render':
        o.render = value();
        break;
      case '--no-control-plane':
        o.controlPlane = false;
        break;
      case '--profile':
        o.profile = true;
        break;
      case '--base':
        o.base = value();
        break;
      case '--no-pin':
        o.pin = false;
        break;
      case '-h':
      case '--help':
        o.help = true;
        break;
      default:
        throw new Error(`unknown option ${arg}`);
    }
  }
  if (Number.isNaN(o.rounds)) o.rounds = o.quick ? 1 : 5;
  return o;
}

function list(v: string): string[] {
  return v.split(',').map((s) => s.trim()).filter(Boolean);
}
