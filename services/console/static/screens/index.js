// Every screen of the console; each file registers itself (see /static/screens.js).
