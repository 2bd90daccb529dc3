// The current view as the URL's hash, so a copied address reopens it.

import { encodeView } from './share.js';
import { state } from './state.js';
import { $ } from './page.js';

// Writes the current view into the URL hash (no history entry per click), so
// copying the address (or "Link to this view") reopens the page as it is.
export function updateLink() {
  if (!state.predictor || !state.arch || state.restoring) return;
  const hash = encodeView(state.wasm, {
    space: state.space,
    arch: state.arch,
    rankDevice: $('rank-device').value,
    k: $('rank-k').value,
    floor: $('accuracy-floor').value === '0' ? '' : $('accuracy-floor').value,
    deviceA: $('device-a').value,
    deviceB: $('device-b').value,
    score: $('score-dataset').value,
    budget: $('budget-ms').value,
    devices: state.myDevices,
  });
  history.replaceState(null, '', `#${hash}`);
  $('share-link').href = location.href;
}
