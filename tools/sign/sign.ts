import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { signMain } from './sign-cli';

// npm run -s sign -- [--key FILE] [--print] METHOD URL [-d BODY] [-H 'Name: value']...
process.exitCode = signMain(process.argv.slice(2), {
  readFile: (path) => readFileSync(path, 'utf8'),
  env: process.env,
  run: (command, args) => {
    const result = spawnSync(command, args, { stdio: 'inherit' });
    if (result.error) {
      process.stderr.write(`sign: ${command}: ${result.error.message}\n`);
      return 127;
    }
    // the answer's body has no newline of its own: end the line for the shell
    if (process.stdout.isTTY) process.stdout.write('\n');
    return result.status ?? 1;
  },
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
});
