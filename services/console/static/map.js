// The console's one map, for the screens that draw on it or read from it.
let map = null;
const waiting = [];

// Called with the map once it exists (at once if it already does).
export function onMapReady(action) {
  if (map) action(map); else waiting.push(action);
}

export function consoleMap() { return map; }

// Whether a screen is drawing or picking on the map: the console's own clicks (selecting an
// alert by its area) wait meanwhile.
let busy = false;
export function setMapBusy(value) { busy = !!value; }
export function mapBusy() { return busy; }

export function mapCreated(created) {
  map = created;
  while (waiting.length) waiting.shift()(map);
}
