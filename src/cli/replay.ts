// `poolpoint replay FILE [--reasons]`: runs a scenario file and prints the final state as JSON.
import { readFileSync } from 'node:fs';
import { reportState } from '../domain/report.ts';
import { parseScenario, replayScenario } from '../scenario/scenario.ts';
import { CliError } from './errors.ts';

export function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliError(
      `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
}

export function replayCommand(args: readonly string[]): string {
  const withReasons = args.includes('--reasons');
  const files = args.filter((arg) => arg !== '--reasons');
  if (files.length !== 1 || files[0]?.startsWith('-')) {
    throw new CliError('usage: poolpoint replay FILE [--reasons]', 2);
  }
  const path = files[0] as string;
  const result = replayScenario(parseScenario(readJsonFile(path)));
  const output = {
    ...reportState(result.state),
    rejected: result.rejected,
    duplicates: result.duplicates,
    ...(withReasons ? { rejections: result.rejections } : {}),
  };
  return `${JSON.stringify(output, null, 1)}\n`;
}
