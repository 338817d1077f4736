/** Nest injection tokens of the emulator. */
export const EMULATOR_LOGGER = Symbol('EMULATOR_LOGGER');
export const EMULATOR_CONFIG = Symbol('EMULATOR_CONFIG');
