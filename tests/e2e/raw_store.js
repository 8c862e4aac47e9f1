// Every value the field app's IndexedDB holds, raw: strings as they are, binary as Latin-1 text
// and decoded as UTF-8 and UTF-16, so that a name stored in clear in any encoding shows up.
// Evaluated in the page by tests/e2e/field_pages.py.
async () => {
  const db = await new Promise((ok, ko) => { const r = indexedDB.open('amparo-field'); r.onsuccess = () => ok(r.result); r.onerror = () => ko(r.error); });
  const out = [];
  const text = (bytes) => [
    Array.from(bytes, (b) => String.fromCharCode(b)).join(''),
    new TextDecoder('utf-8').decode(bytes),
    new TextDecoder('utf-16le').decode(bytes.length % 2 ? bytes.slice(0, -1) : bytes),
  ].join('\n');
  const walk = (value) => {
    if (value instanceof ArrayBuffer) out.push(text(new Uint8Array(value)));
    else if (ArrayBuffer.isView(value)) out.push(text(new Uint8Array(value.buffer, value.byteOffset, value.byteLength)));
    else if (value && typeof value === 'object') Object.entries(value).forEach(([k, v]) => { out.push(k); walk(v); });
    else out.push(String(value));
  };
  for (const name of db.objectStoreNames) {
    const all = await new Promise((ok) => { const r = db.transaction(name).objectStore(name).getAll(); r.onsuccess = () => ok(r.result); });
    out.push(`#store ${name} ${all.length}`);
    all.forEach(walk);
  }
  db.close();
  return out.join('\n');
}
