// The `poolpoint` command line. Each subcommand returns its output; errors become one clear line.
import { ConfigError } from '../domain/config.ts';
import { ScenarioError } from '../scenario/scenario.ts';
import { checkConfigCommand } from './check-config.ts';
import { CliError } from './errors.ts';
import { importLegacyCommand } from './import-legacy.ts';
import { nodeCommand } from './node-command.ts';
import { replayCommand } from './replay.ts';
import { serveCommand } from './serve.ts';
import { simulateCommand } from './simulate.ts';
import { type CommandResult, importCommand, stateCommand, verifyCommand } from './store-commands.ts';

const usage = `usage: poolpoint <command> [options]

commands:
  serve [--port N]          the API, docs and console on 127.0.0.1:3000 (demo data on first start)
  replay FILE [--reasons]   run a scenario file (SPEC.md format) and print the final state as JSON
  demo                      replay the demo scenario in examples/ and print its state
  import FILE [--db URL]    feed a scenario through the single writer into the durable log
  state [--db URL]          print the state rebuilt from the log (the same JSON as replay)
  verify [--db URL]         recompute everything from the log; name the first event that disagrees
  node [--db URL]           a writer for pipelines: SPEC.md events as JSON lines on stdin, outcomes on stdout
  check-config FILE [--json]  the compliance report of a configuration (exit 1 on any red finding)
  import-legacy FILE.csv [--db URL] [--batch NAME] [--actor NAME] [--dry-run]
                            old members' balances as consumption coins (legacy.enabled on); all or nothing
  simulate --scenario NAME|FILE --orders N --members M --seed S --out DIR [--runs K] [--compare CONFIG.json]
           [--export-events FILE]
                            run the real engine over generated histories; DIR gets report.html and result.json

  --db sqlite:PATH | postgres://…   default: $DATABASE_URL, else sqlite:./data/poolpoint.db
`;

type Subcommand = (args: readonly string[]) => Promise<string | CommandResult> | string;

const subcommands: Record<string, Subcommand> = {
  serve: serveCommand,
  replay: replayCommand,
  import: importCommand,
  state: stateCommand,
  verify: verifyCommand,
  node: nodeCommand,
  simulate: simulateCommand,
  'check-config': checkConfigCommand,
  'import-legacy': importLegacyCommand,
  demo: () => replayCommand([new URL('../../examples/demo.json', import.meta.url).pathname]),
};

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage);
    return name === undefined ? 2 : 0;
  }
  const subcommand = subcommands[name];
  if (subcommand === undefined) {
    process.stderr.write(`poolpoint: unknown command "${name}"\n${usage}`);
    return 2;
  }
  try {
    const result = await subcommand(args);
    const { output, exitCode } = typeof result === 'string' ? { output: result, exitCode: 0 } : result;
    process.stdout.write(output);
    return exitCode;
  } catch (error) {
    if (error instanceof CliError || error instanceof ScenarioError || error instanceof ConfigError) {
      process.stderr.write(`poolpoint ${name}: ${error.message}\n`);
      return error instanceof CliError ? error.exitCode : 1;
    }
    throw error;
  }
}
