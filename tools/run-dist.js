#!/usr/bin/env node
// Runs a compiled entry point from dist/ with the @paystream/* path aliases resolved to compiled libs.
// Usage: node tools/run-dist.js dist/apps/order-payment/src/main.js [args...]
'use strict';
const path = require('node:path');
const tsconfigPaths = require('tsconfig-paths');

const root = path.resolve(__dirname, '..');
tsconfigPaths.register({
  baseUrl: path.join(root, 'dist'),
  paths: { '@paystream/*': ['libs/*/src/index.js'] },
});

const entry = process.argv[2];
if (!entry) {
  console.error('usage: node tools/run-dist.js <dist entry.js> [args...]');
  process.exit(2);
}
process.argv.splice(1, 1); // the entry sees itself as argv[1], as if run directly
require(path.resolve(root, entry));
