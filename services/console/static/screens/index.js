// Every screen of the console; each file registers itself (see /static/screens.js).
import '/static/screens/civil-alerts.js';
import '/static/screens/civil-footprints.js';
import '/static/screens/civil-feeds.js';
import '/static/screens/civil-hazards.js';
