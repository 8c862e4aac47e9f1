// Every screen of the console; each file registers itself (see /static/screens.js).
import '/static/screens/programme-editor.js';
import '/static/screens/approver-queue.js';
import '/static/screens/registry-imports.js';
import '/static/screens/registry-duplicates.js';
import '/static/screens/registry-households.js';
import '/static/screens/payments-files.js';
import '/static/screens/payments-results.js';
import '/static/screens/payments-unknown.js';
import '/static/screens/audit-log.js';
import '/static/screens/audit-household.js';
import '/static/screens/civil-alerts.js';
import '/static/screens/civil-footprints.js';
import '/static/screens/civil-feeds.js';
import '/static/screens/civil-hazards.js';
import '/static/screens/monitoring.js';
import '/static/screens/grievance-file.js';
import '/static/screens/grievances.js';
