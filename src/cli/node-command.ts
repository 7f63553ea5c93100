// `poolpoint node --db URL`: a writer process for pipelines. It reads SPEC.md events (orders,
// sells, injections) as JSON lines on stdin and answers each with one JSON line on stdout once
// its batch is durable; `{"query":"state"}` prints the state. On PostgreSQL a second process on the
// same database is a standby: it answers reads, refuses writes, and takes over when the leader dies.
import { createInterface } from 'node:readline';
import { reportState } from '../domain/report.ts';
import { LedgerNode, NotLeaderError, type Role } from '../store/node.ts';
import { BusyError, SequencerStoppedError } from '../store/sequencer.ts';
import { CliError } from './errors.ts';
import { parseArguments } from './options.ts';
import { databaseOf, submissionOf } from './store-commands.ts';

const usage = 'usage: poolpoint node [--db sqlite:PATH | postgres://…]';

/** Lines longer than this are refused rather than parsed. */
const lineBytesMax = 64 * 1024;

function say(line: unknown): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

async function answer(node: LedgerNode, line: string): Promise<void> {
  if (line.length > lineBytesMax)
    return say({ outcome: 'rejected', code: 'malformed', message: 'line too long' });
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return say({ outcome: 'rejected', code: 'malformed', message: 'not a JSON line' });
  }
  if ((raw as { query?: unknown }).query === 'state')
    return say({ role: node.role, state: reportState(node.state) });
  const submission = submissionOf(raw);
  const id = 'id' in submission ? submission.id : null;
  try {
    const outcome = await node.sequencer.submit(submission);
    if (outcome.kind === 'rejected') return say({ id, outcome: 'rejected', ...outcome.rejection });
    return say({ id, outcome: outcome.kind });
  } catch (error) {
    if (
      error instanceof NotLeaderError ||
      error instanceof BusyError ||
      error instanceof SequencerStoppedError
    ) {
      return say({ id, outcome: error.code, message: error.message });
    }
    throw error;
  }
}

export async function nodeCommand(args: readonly string[]): Promise<string> {
  const parsed = parseArguments(args, ['db'], [], usage);
  if (parsed.positionals.length !== 0) throw new CliError(usage, 2);
  const announce = (role: Role): void => {
    process.stderr.write(`${JSON.stringify({ role })}\n`);
  };
  const node = await LedgerNode.start(databaseOf(parsed.options), {
    onRole: announce,
    onLeadershipLost: (error) => {
      process.stderr.write(`${JSON.stringify({ role: 'lost', message: error.message })}\n`);
      process.exit(1); // crash-only: a fresh start comes back as a standby
    },
  });
  const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  // Answers keep the order of the lines: each waits for the one before it.
  let previous = Promise.resolve();
  for await (const line of lines) {
    if (line.trim() === '') continue;
    previous = previous.then(() => answer(node, line));
  }
  await previous;
  await node.close();
  return '';
}
