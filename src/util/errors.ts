/**
 * An error the user can fix (bad flag, bad input line, file exists...). The CLI prints only its
 * message (no stack) and exits with `exitCode`. Anything else that escapes is a bug in mmload
 * and is printed with its stack.
 */
export class UserError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 2) {
    super(message);
    this.name = 'UserError';
    this.exitCode = exitCode;
  }
}

/**
 * A bad line of an input file: the message names the file, the 1-based line and the field
 * (line 0: the file as a whole, e.g. missing). Bad input exits 2, like a bad flag.
 */
export class InputError extends UserError {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly field: string | undefined,
    readonly detail: string,
  ) {
    super(`${file}${line > 0 ? `:${line}` : ''}${field ? ` field "${field}"` : ''}: ${detail}`, 2);
    this.name = 'InputError';
  }
}
