// `poolpoint check-config FILE [--json]`: the compliance report of a configuration. FILE is a
// configuration (SPEC.md keys), or a scenario / object with a "config" key; an optional "texts"
// object holds configurable wording (page texts, notices) to check for promises of returns.
// Exits 1 when any rule is red.

import { complianceReport, type Level } from '../domain/compliance.ts';
import { ConfigError, parseConfig } from '../domain/config.ts';
import { CliError } from './errors.ts';
import { parseArguments } from './options.ts';
import { readJsonFile } from './replay.ts';
import type { CommandResult } from './store-commands.ts';

const usage = 'usage: poolpoint check-config FILE [--json]';
const colours: Record<Level, string> = { green: '\u001b[32m', amber: '\u001b[33m', red: '\u001b[31m' };
const labels: Record<Level, string> = { green: 'GREEN', amber: 'AMBER', red: 'RED  ' };

export async function checkConfigCommand(args: readonly string[]): Promise<CommandResult> {
  const parsed = parseArguments(args, [], ['json'], usage);
  if (parsed.positionals.length !== 1) throw new CliError(usage, 2);
  const raw = readJsonFile(parsed.positionals[0] as string) as Record<string, unknown>;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new CliError('the file must hold a JSON object');
  const wrapped = 'config' in raw || 'texts' in raw || 'setup' in raw || 'events' in raw;
  const configInput = wrapped ? (raw.config ?? {}) : raw;
  const texts = (wrapped ? raw.texts : undefined) ?? {};
  if (
    typeof texts !== 'object' ||
    texts === null ||
    Object.values(texts).some((text) => typeof text !== 'string')
  ) {
    throw new CliError('"texts" must be an object of strings');
  }
  let findings: ReturnType<typeof complianceReport>;
  try {
    findings = complianceReport(parseConfig(configInput), texts as Record<string, string>);
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message);
    throw error;
  }
  const exitCode = findings.some((finding) => finding.level === 'red') ? 1 : 0;
  if (parsed.options.has('json')) return { output: `${JSON.stringify({ findings }, null, 1)}\n`, exitCode };
  const colour = process.stdout.isTTY === true;
  const lines = findings.map((finding) => {
    const label = colour
      ? `${colours[finding.level]}${labels[finding.level]}\u001b[0m`
      : labels[finding.level];
    return `${label} ${finding.rule}: ${finding.reason}\n      (${finding.source})`;
  });
  const verdict =
    exitCode === 0 ? 'no red findings' : 'red findings: change these settings before going live';
  return { output: `${lines.join('\n')}\n${verdict}\n`, exitCode };
}
