// The validation lives in the sandbox lib because integration specs stand the emulator up with the
// same rules; the app reads its environment through it.
export { loadEmulatorConfig, type EmulatorConfig } from '@paystream/channel-emulator/sandbox';
