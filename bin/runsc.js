#!/usr/bin/env node
// The runsc command: the CLI bundled by `npm run build` (dist/runsc.mjs).
import '../dist/runsc.mjs';
