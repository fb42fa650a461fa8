import { CliError } from './cli-error.js';
import { DEMO_USAGE, QUERY_USAGE } from './usage.js';
import { VERSION } from './version.js';

const USAGE = `slm-audit ${VERSION} — audit logs for small language models

Usage: slm-audit <command> [options]

Commands:
  demo     run real model inferences through the SDK into the embedded store, then print an audit report
  query    run SQL against the audit store
  help     show help for a command

Run "slm-audit help <command>" for its options.`;

type CommandRun = (argv: string[], out: NodeJS.WritableStream) => Promise<number>;

// Commands load on use: help stays instant, and only `demo` loads the model runtime.
const COMMANDS: Record<string, { load: () => Promise<CommandRun>; usage: string }> = {
  demo: { load: async () => (await import('./commands/demo.js')).demoCommand, usage: DEMO_USAGE },
  query: { load: async () => (await import('./commands/query.js')).queryCommand, usage: QUERY_USAGE },
};

/** Runs the CLI; resolves to the process exit code. Never throws. */
export async function main(argv: string[], out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    const topic = name === 'help' && rest[0] ? COMMANDS[rest[0]] : undefined;
    out.write((topic?.usage ?? USAGE) + '\n');
    return 0;
  }
  if (name === '--version' || name === '-v') {
    out.write(VERSION + '\n');
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    err.write(`slm-audit: unknown command "${name}"\n\n${USAGE}\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    out.write(command.usage + '\n');
    return 0;
  }
  try {
    return await (await command.load())(rest, out);
  } catch (e) {
    if (e instanceof CliError) {
      err.write(`slm-audit ${name}: ${e.message}\n`);
      return e.exitCode;
    }
    // parseArgs reports unknown or malformed options with this code.
    if ((e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      err.write(`slm-audit ${name}: ${(e as Error).message}\n\n${command.usage}\n`);
      return 2;
    }
    err.write(`slm-audit ${name}: ${(e as Error)?.stack ?? String(e)}\n`);
    return 1;
  }
}
