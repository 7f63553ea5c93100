// `poolpoint serve` (what `npm start` runs): the API, docs and console on 127.0.0.1:3000, on the
// embedded SQLite database in ./data (POOLPOINT_DATA to move it, DATABASE_URL for PostgreSQL).
// The first start creates demo data and prints how to sign in.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildApp } from '../http/app.ts';
import { seedDemo } from '../service/demo.ts';
import { PoolpointService } from '../service/service.ts';
import { CliError } from './errors.ts';
import { parseArguments } from './options.ts';

const usage = 'usage: poolpoint serve [--port N] [--host ADDRESS] [--no-demo]';
/** The exit status when the log could not be written (EX_IOERR of sysexits.h). */
export const writerStoppedExitCode = 74;

export async function serveCommand(args: readonly string[]): Promise<string> {
  const parsed = parseArguments(args, ['port', 'host'], ['no-demo'], usage);
  const port = Number(parsed.options.get('port') ?? process.env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new CliError(`invalid port: ${port}`, 2);
  const host = String(parsed.options.get('host') ?? process.env.HOST ?? '127.0.0.1');
  const dataFolder = resolve(process.env.POOLPOINT_DATA ?? './data');
  const database = process.env.DATABASE_URL ?? `sqlite:${join(dataFolder, 'poolpoint.db')}`;
  if (database.startsWith('sqlite:')) mkdirSync(dataFolder, { recursive: true });
  const service = await PoolpointService.open({
    database,
    // A writer that could not append refuses every write from then on; exiting lets a supervisor
    // (systemd, a container's restart policy) start a fresh process, which recovers from the log:
    // every acknowledged write is in it.
    sequencer: {
      onStopped: (reason) => {
        process.stderr.write(`poolpoint: ${reason}; exiting so that a restart recovers from the log\n`);
        process.exit(writerStoppedExitCode);
      },
    },
  });
  const loginsFile = join(dataFolder, 'DEMO-LOGINS.txt');
  if (!parsed.options.has('no-demo') && service.state.members.size === 0 && service.node.role === 'leader') {
    const demo = await seedDemo(service);
    mkdirSync(dataFolder, { recursive: true });
    writeFileSync(loginsFile, `${demo.lines.join('\n')}\n`);
    chmodSync(loginsFile, 0o600);
  }
  const app = buildApp(service);
  await app.listen({ port, host });
  const address = `http://${host}:${(app.server.address() as { port: number }).port}`;
  process.stdout.write(`poolpoint is listening on ${address} (${service.node.role}, ${database})\n`);
  process.stdout.write(`  API docs: ${address}/docs   OpenAPI: ${address}/openapi.json\n`);
  if (existsSync(loginsFile)) {
    process.stdout.write(`  demo sign-ins (role, login, password), also in ${loginsFile}:\n`);
    for (const line of readFileSync(loginsFile, 'utf8').trim().split('\n'))
      process.stdout.write(`    ${line}\n`);
  }
  await new Promise<void>((done) => {
    const stop = (): void => {
      process.stdout.write('stopping…\n');
      void app
        .close()
        .then(() => service.close())
        .then(done);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return '';
}
