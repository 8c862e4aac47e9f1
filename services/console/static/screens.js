// The console's screens. A screen module calls registerScreen once; the console shows a tab for
// each screen one of whose roles the signed-in person holds, and mounts it the first time it is opened.
//
//   registerScreen({
//     id: 'imports',                      // the tab's and the pane's name
//     roles: ['registry_officer'],        // who sees it (the services still decide every call)
//     label: 'imports',                   // an i18n key (see addWords in i18n.js)
//     wide: true,                         // hides the map while shown
//     mount(pane) { ... },                // builds the screen inside its pane (an element)
//     refresh() { ... },                  // optional: called again each time the tab is opened
//     open(pane, what) { ... },           // optional: shows what another screen asked for (openScreen)
//   });
const SCREENS = [];

export function registerScreen(screen) {
  if (SCREENS.some((s) => s.id === screen.id)) throw new Error(`screen ${screen.id} registered twice`);
  SCREENS.push(screen);
}

export function screens() { return [...SCREENS]; }

// One screen sends the person to another with what to show there (a household's grievances from
// the household's page): the console shows that screen's tab, if the person's roles show it, and
// hands ``what`` to its open().
let opener = () => false;

export function openScreen(id, what) { return opener(id, what); }

export function whenScreenOpens(action) { opener = action; }
