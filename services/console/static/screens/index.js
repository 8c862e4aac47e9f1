// Every screen of the console; each file registers itself (see /static/screens.js).
import '/static/screens/programme-editor.js';
import '/static/screens/approver-queue.js';
import '/static/screens/registry-imports.js';
import '/static/screens/registry-duplicates.js';
import '/static/screens/registry-households.js';
