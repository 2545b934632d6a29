// Loaded with `node --import` into a process under test: on exit, writes the built-in modules it
// loaded (process.moduleLoadList) to the file named by DOCKMESH_TEST_MODULE_LIST.
import { writeFileSync } from 'node:fs';

const out = process.env.DOCKMESH_TEST_MODULE_LIST;
if (out) process.on('exit', () => writeFileSync(out, process.moduleLoadList.join('\n')));
