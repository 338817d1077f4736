/**
 * Writes the channel key pairs the demo and the tests use into a directory that is never committed
 * (default .run/keys); existing keys are kept. Usage: generate-channel-keys [dir]
 */
import { ensureChannelKeys } from '@paystream/shared/channel-protocols';

const dir = process.argv[2] ?? '.run/keys';
const written = ensureChannelKeys(dir);
process.stdout.write(written.length ? `[keys] generated ${written.length} key pair(s) in ${dir}\n` : `[keys] channel keys present in ${dir}\n`);
