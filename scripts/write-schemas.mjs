#!/usr/bin/env node
// Writes schemas/segment.schema.json and schemas/config.schema.json from the validators'
// own key lists (src/engine/json-schemas.ts). Run `npm run schemas` after changing a
// validator; test/json-schemas.test.ts fails while the committed files are out of date.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configSchema, segmentFileSchema } from '../dist/engine/json-schemas.js';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'schemas');
writeFileSync(join(out, 'segment.schema.json'), JSON.stringify(segmentFileSchema(), null, 2) + '\n');
writeFileSync(join(out, 'config.schema.json'), JSON.stringify(configSchema(), null, 2) + '\n');
process.stdout.write(`wrote ${join(out, 'segment.schema.json')} and config.schema.json\n`);
