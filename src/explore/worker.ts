/**
 * The explorer's Web Worker: runs the model (./explorer.ts) off the page's thread, so that opening
 * a large trace and replaying forward from a checkpoint never blocks scrolling or the controls.
 * Each message is { id, request }; the answer is { id, result } or { id, error }. View requests
 * that are overtaken by a newer one (fast scrubbing) are answered with `skipped`, so only the
 * position the user stopped at is computed.
 */
import { Explorer, type ExploreRequest } from './explorer.js';

interface WorkerScope {
  onmessage: ((event: { data: { id: number; request: ExploreRequest } }) => void) | null;
  postMessage(message: unknown): void;
  setTimeout(callback: () => void, ms: number): unknown;
}

const scope = globalThis as unknown as WorkerScope;
const explorer = new Explorer();
const queue: { id: number; request: ExploreRequest }[] = [];
let scheduled = false;

function drain(): void {
  scheduled = false;
  while (queue.length > 0) {
    const message = queue.shift() as { id: number; request: ExploreRequest };
    // A view request followed by another view request is stale: the user has moved on.
    if (message.request.type === 'view' && queue.some((m) => m.request.type === 'view')) {
      scope.postMessage({ id: message.id, skipped: true });
      continue;
    }
    try {
      scope.postMessage({ id: message.id, result: explorer.handle(message.request) });
    } catch (error) {
      scope.postMessage({ id: message.id, error: error instanceof Error ? error.message : String(error) });
    }
  }
}

scope.onmessage = (event) => {
  queue.push(event.data);
  if (!scheduled) {
    scheduled = true;
    scope.setTimeout(drain, 0);
  }
};
