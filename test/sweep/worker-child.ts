// A sweep worker in its own process for the distributed test (run with vite-node; the arguments come
// in IOVASIM_WORKER_ARGS as a JSON list, so vite-node's own option parsing cannot take them).
import { runWorkerCommand } from '../../src/cli/commands/worker.js';

const argv = JSON.parse(process.env.IOVASIM_WORKER_ARGS ?? '[]') as string[];
const code = await runWorkerCommand(argv, { stdout: process.stdout, stderr: process.stderr, isTTY: true });
process.exit(code);
