// Where CLI output goes: injected so tests can run commands in-process and read what they printed.

export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
}

export const processIO: CliIO = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** Machine output: one JSON document (or line) on stdout. */
export function printJson(io: CliIO, value: unknown, pretty = true): void {
  io.stdout(JSON.stringify(value, jsonReplacer, pretty ? 2 : undefined) + '\n');
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  return value;
}
