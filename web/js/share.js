// What a link carries and what a visitor takes away: the page's view as a
// URL hash (so a copied link reopens it), and downloads of rankings, fronts
// and predictions as CSV and of the plots as SVG or PNG.
//
// The hash is URLSearchParams text. Architectures go in as their choice
// digits (`decomposeArch`: one digit per position, NB201 6, FBNet 22),
// an added device as `name~digits:ms,digits:ms,...`, so a link with a
// dozen measurements stays a few hundred characters.

// The keys of the hash, one per piece of the view.
const KEYS = {
  space: 's', arch: 'a', rankDevice: 'r', k: 'k', floor: 'f',
  deviceA: 'pa', deviceB: 'pb', score: 'sc', budget: 'b', devices: 'd',
};

// Choice digits of an architecture string (each choice < 10 in both spaces).
function digits(wasm, space, arch) {
  return Array.from(wasm.decomposeArch(space, arch)).join('');
}

function fromDigits(wasm, space, text) {
  if (!/^\d+$/.test(text)) throw new Error(`link: "${text}" is not an architecture's choice digits`);
  return wasm.composeArch(space, Uint32Array.from(text, Number));
}

// The view as a hash string (without '#').
export function encodeView(wasm, view) {
  const p = new URLSearchParams();
  p.set(KEYS.space, view.space);
  p.set(KEYS.arch, digits(wasm, view.space, view.arch));
  for (const key of ['rankDevice', 'k', 'floor', 'deviceA', 'deviceB', 'score', 'budget']) {
    if (view[key] !== undefined && view[key] !== '') p.set(KEYS[key], String(view[key]));
  }
  for (const d of view.devices) {
    const samples = d.archs.map((a, i) => `${digits(wasm, view.space, a)}:${d.ms[i]}`);
    p.append(KEYS.devices, `${d.name}~${samples.join(',')}`);
  }
  return p.toString();
}

// The view a hash describes; errors name the part that does not read.
export function decodeView(wasm, hash) {
  const p = new URLSearchParams(hash.replace(/^#/, ''));
  const space = p.get(KEYS.space);
  if (!space) return null;
  const view = { space, devices: [] };
  if (p.has(KEYS.arch)) view.arch = fromDigits(wasm, space, p.get(KEYS.arch));
  for (const key of ['rankDevice', 'k', 'floor', 'deviceA', 'deviceB', 'score', 'budget']) {
    if (p.has(KEYS[key])) view[key] = p.get(KEYS[key]);
  }
  for (const entry of p.getAll(KEYS.devices)) {
    const [name, list] = entry.split('~');
    if (!name || !list) throw new Error(`link: added device "${entry.slice(0, 40)}" is not name~digits:ms,...`);
    const archs = [];
    const ms = [];
    for (const pair of list.split(',')) {
      const [choice, value] = pair.split(':');
      const latency = Number(value);
      if (!(latency > 0)) throw new Error(`link: device ${name}: latency "${value}" is not a positive number`);
      archs.push(fromDigits(wasm, space, choice));
      ms.push(latency);
    }
    view.devices.push({ name, archs, ms });
  }
  return view;
}

// One CSV field: quoted when it holds a comma, quote or newline.
function field(value) {
  const text = String(value);
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function toCsv(header, rows) {
  return [header, ...rows].map((r) => r.map(field).join(',')).join('\n') + '\n';
}

function save(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function downloadCsv(name, header, rows) {
  save(new Blob([toCsv(header, rows)], { type: 'text/csv' }), name);
}

// An SVG chart as a standalone file (its styles are the page's CSS, so the
// few the charts use are inlined).
export function downloadSvg(svg, name) {
  const copy = svg.cloneNode(true);
  copy.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  const style = document.createElementNS('http://www.w3.org/2000/svg', 'style');
  style.textContent = 'text{font:11px sans-serif;fill:#222}.bar{fill:#2060c0}.measured{fill:#e07020}' +
    '.grid{stroke:#ddd}.cell{stroke:#fff}';
  copy.prepend(style);
  save(new Blob([new XMLSerializer().serializeToString(copy)], { type: 'image/svg+xml' }), name);
}

export function downloadPng(canvas, name) {
  canvas.toBlob((blob) => save(blob, name), 'image/png');
}
