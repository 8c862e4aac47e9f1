// The console's one map, for the screens that draw on it or read from it.
let map = null;
const waiting = [];

// Called with the map once it exists (at once if it already does).
export function onMapReady(action) {
  if (map) action(map); else waiting.push(action);
}

export function consoleMap() { return map; }

export function mapCreated(created) {
  map = created;
  while (waiting.length) waiting.shift()(map);
}
