// The page's status line, progress bar and error box, and the wrapper that
// shows any error of an event handler on the page.

export const $ = (id) => document.getElementById(id);

export function status(text) {
  $('status').textContent = text;
}

export function progress(done, total) {
  const bar = $('progress');
  bar.hidden = total === 0 || done >= total;
  bar.max = total || 1;
  bar.value = done;
}

// The wasm module throws LatscopeErrors: the message for people, `kind`
// (e.g. "invalid-predictor-file") for code; the page's own errors have none.
export function showError(error) {
  const message = error instanceof Error ? error.message : String(error);
  const box = $('error');
  box.textContent = message;
  box.dataset.kind = error?.kind ?? '';
  box.hidden = false;
  console.error(error);
}

export function clearError() {
  $('error').hidden = true;
  $('error').textContent = '';
  delete $('error').dataset.kind;
}

// Runs an event handler, showing any error on the page.
export function guarded(handler) {
  return async (...args) => {
    try {
      await handler(...args);
    } catch (e) {
      showError(e);
    }
  };
}

export const nextFrame = () => new Promise((resolve) => setTimeout(resolve, 0));

// Resolves once the browser has painted what is in the DOM now: the next
// animation frame draws it, and a task queued from there runs after it. A
// hidden page has no animation frames; it goes on after 100 ms then.
export function afterPaint() {
  return new Promise((resolve) => {
    const fallback = setTimeout(resolve, 100);
    requestAnimationFrame(() => setTimeout(() => {
      clearTimeout(fallback);
      resolve();
    }, 0));
  });
}
