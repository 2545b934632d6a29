#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's loader, so `npm link` / `npx mesh` work from a checkout.
import { register } from 'tsx/esm/api';
register();
await import('./main.ts');
